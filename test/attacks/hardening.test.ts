/**
 * Issue 10 item 9 (bullets 2 and 3) and the Turnstile part of item 3: passwords are normalised
 * before the strength check; production refuses plain-http provider endpoints, hides the docs
 * unless told otherwise (the docs' script included), and refuses to start without Turnstile
 * unless TURNSTILE_REQUIRED=false says so; siteverify's hostname and action are checked.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { SITEVERIFY_URL } from "../../src/limits/turnstile";
import { parseConfig } from "../../src/platform/config";
import { DOCS_SCRIPT_PATH } from "../../src/routes/docs";
import wranglerToml from "../../wrangler.toml?raw";
import { eventsNamed } from "../support/attacks";
import { configProblems, PRODUCTION_JWT_KEYS } from "../support/config";
import { call, captureSms, type ErrorBody, get, json, post, requestCode, uniquePhone } from "../support/helpers";
import { json as answer, interceptFetch } from "../support/intercept";

const sms = captureSms();

// Only the spies on fetch (and the ones a test restores itself): captureSms's spy on console.log stays.
afterEach(() => {
  vi.mocked(globalThis.fetch).mockRestore?.();
});

// Complete but for what each test leaves out (JWT_PRIVATE_KEYS: a production-shaped signing key, docs/tokens.md).
const PRODUCTION = {
  ENVIRONMENT: "production",
  AUTH_SECRET: "p".repeat(40),
  SMS_PROVIDER: "aliyun",
  JWT_PRIVATE_KEYS: PRODUCTION_JWT_KEYS,
};
const ALIYUN = {
  ALIYUN_ACCESS_KEY_ID: "LTAI5tE2eKeyId",
  ALIYUN_ACCESS_KEY_SECRET: "aliyun-Secret-Qx7vW2pLm4RtZk",
  ALIYUN_SIGN_NAME: "测试签名",
  ALIYUN_TEMPLATE_CODES: '{"login":"SMS_1","register":"SMS_2","reset_password":"SMS_3","change_phone":"SMS_4"}',
};

const problemsOf = configProblems;

describe("passwords are normalised before the strength check", () => {
  it("refuses full-width digits, which NFKC turns into an all-digit password", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone, "register");
    const { verificationToken } = await json<{ verificationToken: string }>(await post("/v1/codes/verify", { phone, purpose: "register", code }));
    const password = "１２３４５６７８９";
    const response = await post("/v1/register/password", { verificationToken, password, passwordConfirm: password });
    expect(response.status).toBe(400);
    expect((await json<ErrorBody>(response)).error.code).toBe("weak_password");
  });
});

describe("production fails closed", () => {
  it("refuses to start without Turnstile unless TURNSTILE_REQUIRED=false is set on purpose", () => {
    const found = problemsOf(PRODUCTION);
    expect(found.map((p) => p.setting)).toEqual(["TURNSTILE_SECRET_KEY"]);
    expect(found[0]!.message).toContain("TURNSTILE_REQUIRED=false");
    expect(problemsOf({ ...PRODUCTION, TURNSTILE_REQUIRED: "false" })).toEqual([]);
    // With a secret, the hostnames siteverify may answer for are required too.
    expect(problemsOf({ ...PRODUCTION, TURNSTILE_SECRET_KEY: "0x4AAA-secret" }).map((p) => p.setting)).toEqual(["TURNSTILE_HOSTNAMES"]);
    expect(problemsOf({ ...PRODUCTION, TURNSTILE_SECRET_KEY: "0x4AAA-secret", TURNSTILE_HOSTNAMES: "app.example.com" })).toEqual([]);
  });

  it("refuses a plain-http provider endpoint in production", async () => {
    interceptFetch(async () => answer({ Code: "OK", Message: "OK", BizId: "B", RequestId: "R" }));
    const env = { ...PRODUCTION, TURNSTILE_REQUIRED: "false", ...ALIYUN, ALIYUN_ENDPOINT: "http://dysmsapi.aliyuncs.com" };
    const response = await call("POST", "/v1/codes", { phone: uniquePhone(), purpose: "login" }, { env });
    expect(response.status).toBe(503);
    expect((await json<ErrorBody>(response)).error.code).toBe("sms_not_configured");
    expect(eventsNamed(sms, "sms.not_configured").at(-1)!.problems).toContain("ALIYUN_ENDPOINT");
  });

  it("hides the docs by default in production, in the code itself", async () => {
    expect(parseConfig({ ...PRODUCTION, TURNSTILE_REQUIRED: "false" }).DOCS_ENABLED).toBe(false);
    expect((await get("/openapi.json", { env: { ...PRODUCTION, TURNSTILE_REQUIRED: "false", ...ALIYUN } })).status).toBe(404);
    expect(parseConfig({ ENVIRONMENT: "development" }).DOCS_ENABLED).toBe(true);
  });

  it("serves the docs' script through the Worker, so that it is hidden with the docs", async () => {
    // Static assets are served before the Worker unless run_worker_first names their path.
    expect(wranglerToml).toMatch(/run_worker_first\s*=\s*\[[^\]]*"\/docs\/assets\/\*"/);
    expect((await get(DOCS_SCRIPT_PATH, { env: { DOCS_ENABLED: "false" } })).status).toBe(404);
    const served = await get(DOCS_SCRIPT_PATH, { env: { DOCS_ENABLED: "true" } });
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toContain("javascript");
  });
});

describe("siteverify's answer is checked beyond success", () => {
  const TURNSTILE = { TURNSTILE_SECRET_KEY: "1x0000000000000000000000000000000AA", TURNSTILE_HOSTNAMES: "app.example.com", TURNSTILE_ACTION: "send-code" };
  const verdict = (fields: Record<string, unknown>) =>
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      expect(new Request(input, init).url).toBe(SITEVERIFY_URL);
      return Response.json({ success: true, "error-codes": [], challenge_ts: new Date().toISOString(), ...fields });
    });
  const send = () => post("/v1/codes", { phone: uniquePhone(), purpose: "login", captchaToken: "XXXX.DUMMY.TOKEN.XXXX" }, { env: TURNSTILE });

  it("refuses a token solved on another hostname", async () => {
    verdict({ hostname: "evil.example", action: "send-code" });
    const response = await send();
    expect(response.status).toBe(403);
    expect(eventsNamed(sms, "captcha.failed").at(-1)).toMatchObject({ reason: "hostname" });
  });

  it("refuses a token solved for another action", async () => {
    verdict({ hostname: "app.example.com", action: "login" });
    expect((await send()).status).toBe(403);
    expect(eventsNamed(sms, "captcha.failed").at(-1)).toMatchObject({ reason: "action" });
  });

  it("accepts the right hostname and action", async () => {
    verdict({ hostname: "app.example.com", action: "send-code" });
    expect((await send()).status).toBe(202);
  });
});
