import { describe, expect, it } from "vitest";
import { signAccessToken } from "../../src/auth/access-token";
import { parseConfig } from "../../src/platform/config";
import { call, captureSms, type ErrorBody, get, json, post, signIn, uniquePhone } from "../support/helpers";

const sms = captureSms();

const ENDPOINTS = [
  { path: "/v1/codes", valid: () => ({ phone: uniquePhone(), purpose: "login" }) },
  { path: "/v1/codes/verify", valid: () => ({ phone: uniquePhone(), purpose: "login", code: "123456" }) },
  { path: "/v1/auth/sms-login", valid: () => ({ phone: uniquePhone(), code: "123456" }) },
];

function expectEnvelope(body: ErrorBody, code: string) {
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
}

describe("the error envelope", () => {
  it.each(ENDPOINTS)("$path: a body that is not JSON is 400 invalid_request with details", async ({ path }) => {
    const response = await post(path, "{not json");
    expect(response.status).toBe(400);
    const body = await json<ErrorBody>(response);
    expectEnvelope(body, "invalid_request");
    expect(body.error.details?.length).toBeGreaterThan(0);
  });

  it.each(ENDPOINTS)("$path: a body failing its schema names the fields", async ({ path, valid }) => {
    const base = valid();
    const [first] = Object.keys(base);
    const broken = { ...base, [first!]: 12345, extra: true };
    const response = await post(path, broken);
    expect(response.status).toBe(400);
    const body = await json<ErrorBody>(response);
    expectEnvelope(body, "invalid_request");
    const fields = body.error.details!.map((d) => d.field);
    expect(fields).toContain(first);
    expect(body.error.details!.some((d) => d.field === "(body)" || d.field === "extra")).toBe(true);
  });

  it.each(ENDPOINTS)("$path: a missing body or a JSON array is 400", async ({ path }) => {
    for (const body of [undefined, "[]", "null", '"text"']) {
      const response = await call("POST", path, body);
      expect(response.status, String(body)).toBe(400);
      expectEnvelope(await json<ErrorBody>(response), "invalid_request");
    }
  });

  it.each(ENDPOINTS)("$path: a body over 16 KiB is 413 payload_too_large", async ({ path, valid }) => {
    const response = await post(path, { ...valid(), padding: "x".repeat(17 * 1024) });
    expect(response.status).toBe(413);
    expectEnvelope(await json<ErrorBody>(response), "payload_too_large");
  });

  it("a wrongly formatted code is 400 invalid_request, not a guess", async () => {
    const response = await post("/v1/codes/verify", { phone: uniquePhone(), purpose: "login", code: "12ab56" });
    expect(response.status).toBe(400);
    expect((await json<ErrorBody>(response)).error.details?.[0]?.field).toBe("code");
  });

  it("an unknown route or method is 404 in the envelope", async () => {
    for (const response of [await get("/nope"), await get("/v1/codes"), await call("DELETE", "/v1/me")]) {
      expect(response.status).toBe(404);
      expectEnvelope(await json<ErrorBody>(response), "not_found");
    }
  });

  it("speaks zh-CN by default and English when asked", async () => {
    const zh = await json<ErrorBody>(await get("/nope"));
    expect(zh.error.message).toBe("接口不存在");
    const en = await json<ErrorBody>(await get("/nope", { headers: { "Accept-Language": "en-US,en;q=0.9" } }));
    expect(en.error.message).toBe("No such endpoint");
    const weighted = await json<ErrorBody>(await get("/nope", { headers: { "Accept-Language": "fr, en;q=0.5, zh;q=0.8" } }));
    expect(weighted.error.message).toBe("接口不存在");
  });

  it("checks the schema before the session, and the session before the registration state", async () => {
    const user = await signIn(sms);
    expect((await post("/v1/codes", { phone: user.phone, purpose: "bogus" })).status).toBe(400);
    expect((await post("/v1/codes", { phone: user.phone, purpose: "change_phone" })).status).toBe(401);
    expect((await post("/v1/codes", { phone: user.phone, purpose: "change_phone" }, { token: user.token })).status).toBe(409);
  });

  it("a broken setting is a 500 that names the setting but no value", async () => {
    const response = await post("/v1/codes", { phone: uniquePhone(), purpose: "login" }, { env: { CODE_LENGTH: "12", AUTH_SECRET: "short" } });
    expect(response.status).toBe(500);
    const body = await json<ErrorBody>(response);
    expect(body.error.code).toBe("internal_error");
    expect(body.error.message).toContain("CODE_LENGTH");
    expect(body.error.message).toContain("AUTH_SECRET");
    expect(body.error.message).not.toContain("short");
  });

  it("an unexpected failure is a bare 500 that echoes nothing internal", async () => {
    const failingDb = {
      prepare() {
        throw new Error("SQLITE internal detail: table users");
      },
      batch() {
        throw new Error("SQLITE internal detail");
      },
    };
    // A well-signed access token, so the request gets as far as the database.
    const { token } = await signAccessToken(parseConfig({ ENVIRONMENT: "test" }), { userId: "u1", sessionId: "s1", phone: null });
    const response = await get("/v1/me", { token, env: { DB: failingDb } });
    expect(response.status).toBe(500);
    const body = await json<ErrorBody>(response);
    expect(body.error.code).toBe("internal_error");
    expect(JSON.stringify(body)).not.toMatch(/SQLITE|users/);
  });
});
