import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { captureSms, type ErrorBody, get, json, post, requestCode, signIn, tamper, uniquePhone } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();
const PASSWORD = "correct horse 7";

async function verified(phone: string, purpose = "register"): Promise<string> {
  const code = await requestCode(sms, phone, purpose);
  const response = await post("/v1/codes/verify", { phone, purpose, code });
  expect(response.status).toBe(200);
  return (await json<{ verificationToken: string }>(response)).verificationToken;
}

const step3 = (verificationToken: string, password = PASSWORD, passwordConfirm = password) =>
  post("/v1/register/password", { verificationToken, password, passwordConfirm });
const step4 = (verificationToken: string, nickname = "小明") => post("/v1/register/profile", { verificationToken, nickname });

async function errorCode(response: Response) {
  return (await json<ErrorBody>(response)).error.code;
}

describe("password registration in four steps", () => {
  it("creates the account, its phone identity and a session at step 4", async () => {
    const phone = uniquePhone();
    const token = await verified(phone);
    const three = await step3(token);
    expect(three.status).toBe(200);
    const { expiresIn } = await json<{ expiresIn: number }>(three);
    expect(expiresIn).toBeGreaterThan(590);
    expect(expiresIn).toBeLessThanOrEqual(600);

    const four = await step4(token, "  小明  ");
    expect(four.status).toBe(201);
    const body = await json<{ accessToken: string; user: { phone: string; nickname: string; hasPassword: boolean } }>(four);
    expect(body.user).toMatchObject({ phone, nickname: "小明", hasPassword: true });
    expect((await get("/v1/me", { token: body.accessToken })).status).toBe(200);
    const login = await post("/v1/auth/password-login", { phone, password: PASSWORD });
    expect(login.status).toBe(200);
  });

  it("refuses step 4 before step 3 with 409 password_required and leaves the token usable", async () => {
    const token = await verified(uniquePhone());
    const early = await step4(token);
    expect(early.status).toBe(409);
    expect(await errorCode(early)).toBe("password_required");
    expect((await step3(token)).status).toBe(200);
    expect((await step4(token)).status).toBe(201);
  });

  it("lets step 3 be repeated: the last password wins", async () => {
    const phone = uniquePhone();
    const token = await verified(phone);
    expect((await step3(token, "first password 1")).status).toBe(200);
    expect((await step3(token, "second password 2")).status).toBe(200);
    expect((await step4(token)).status).toBe(201);
    expect((await post("/v1/auth/password-login", { phone, password: "first password 1" })).status).toBe(401);
    expect((await post("/v1/auth/password-login", { phone, password: "second password 2" })).status).toBe(200);
  });

  it("spends the token at step 4: a reused token is 401", async () => {
    const token = await verified(uniquePhone());
    await step3(token);
    expect((await step4(token)).status).toBe(201);
    for (const response of [await step4(token), await step3(token)]) {
      expect(response.status).toBe(401);
      expect(await errorCode(response)).toBe("invalid_verification_token");
    }
  });

  it("creates one account from parallel step 4s", async () => {
    const phone = uniquePhone();
    const token = await verified(phone);
    await step3(token);
    const responses = await Promise.all(Array.from({ length: 10 }, () => step4(token)));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM identities WHERE identifier = ?").bind(phone).first<{ n: number }>();
    expect(count?.n).toBe(1);
  });

  it("refuses expired, forged, foreign-purpose and missing tokens", async () => {
    const phone = uniquePhone();
    const token = await verified(phone);
    await age(phone, 601_000);
    expect(await errorCode(await step3(token))).toBe("invalid_verification_token");

    const [v, payload, mac] = (await verified(uniquePhone())).split(".");
    const forged = `${v}.${payload}.${tamper(mac!)}`;
    expect(await errorCode(await step3(forged))).toBe("invalid_verification_token");
    expect(await errorCode(await step3("not-a-token"))).toBe("invalid_verification_token");

    const loginToken = await verified(uniquePhone(), "login");
    expect(await errorCode(await step3(loginToken))).toBe("invalid_verification_token");

    const missing = await post("/v1/register/password", { password: PASSWORD, passwordConfirm: PASSWORD });
    expect(missing.status).toBe(400);
    expect(await errorCode(missing)).toBe("invalid_request");
  });

  it("refuses a token past the expiry it carries, even while its id is still live", async () => {
    const { parseConfig } = await import("../../src/platform/config");
    const { signVerificationToken } = await import("../../src/codes/verification-token");
    const phone = uniquePhone();
    const token = await verified(phone);
    const payload = JSON.parse(atob(token.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/"))) as { p: string; u: "register"; j: string };
    const secret = parseConfig(env).AUTH_SECRET;
    const expired = await signVerificationToken(secret, { phone: payload.p, purpose: payload.u, jti: payload.j, expiresAt: Date.now() - 1000 });
    expect(await errorCode(await step3(expired))).toBe("invalid_verification_token");
    // The same id in an unexpired token is accepted: only the carried expiry refused it.
    const fresh = await signVerificationToken(secret, { phone: payload.p, purpose: payload.u, jti: payload.j, expiresAt: Date.now() + 60_000 });
    expect((await step3(fresh)).status).toBe(200);
  });

  it("does not let a token for one phone register another", async () => {
    const phone = uniquePhone();
    const token = await verified(phone);
    const [v, , mac] = token.split(".");
    const otherPayload = btoa(JSON.stringify({ p: uniquePhone(), u: "register", x: Date.now() + 600_000, j: "x" })).replace(/=+$/, "");
    expect(await errorCode(await step3(`${v}.${otherPayload}.${mac}`))).toBe("invalid_verification_token");
  });

  it("checks the password: mismatch, and each weakness rule by name", async () => {
    const phone = uniquePhone();
    const token = await verified(phone);
    const mismatch = await step3(token, "a good password 1", "a good password 2");
    expect(mismatch.status).toBe(400);
    expect(await errorCode(mismatch)).toBe("password_mismatch");
    const national = phone.slice(3);
    for (const [password, rule] of [
      ["short1", "too_short"],
      ["12345678", "all_digits"],
      [`x${"y".repeat(64)}`, "too_long"],
      [`pw-${national}`, "contains_phone"],
    ] as const) {
      const response = await step3(token, password);
      expect(response.status, password).toBe(400);
      const body = await json<ErrorBody>(response);
      expect(body.error.code).toBe("weak_password");
      expect(body.error.details?.[0]?.message).toBe(rule);
    }
    const english = await post(
      "/v1/register/password",
      { verificationToken: token, password: "12345678", passwordConfirm: "12345678" },
      { headers: { "Accept-Language": "en" } },
    );
    expect((await json<ErrorBody>(english)).error.message).toContain("only digits");
  });

  it("answers 409 phone_registered at step 4 when the phone was registered meanwhile, and clears the sign-up", async () => {
    const phone = uniquePhone();
    const token = await verified(phone);
    await step3(token);
    await age(phone, 61_000);
    await signIn(sms, phone);
    const four = await step4(token);
    expect(four.status).toBe(409);
    expect(await errorCode(four)).toBe("phone_registered");
    expect(await errorCode(await step4(token))).toBe("invalid_verification_token");
  });

  it("validates the nickname", async () => {
    const token = await verified(uniquePhone());
    await step3(token);
    for (const nickname of ["   ", "a".repeat(33), "bad\u0007name", "line\nbreak"]) {
      const response = await step4(token, nickname);
      expect(response.status, JSON.stringify(nickname)).toBe(400);
      expect(await errorCode(response)).toBe("invalid_request");
    }
    expect((await step4(token, "三十二个字符以内的昵称")).status).toBe(201);
  });

  it("stores the password only as a PBKDF2 string", async () => {
    const phone = uniquePhone();
    const token = await verified(phone);
    await step3(token);
    await step4(token);
    const row = await env.DB.prepare("SELECT u.password_hash FROM users u JOIN identities i ON i.user_id = u.id WHERE i.identifier = ?")
      .bind(phone)
      .first<{ password_hash: string }>();
    expect(row?.password_hash).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(row?.password_hash).not.toContain(PASSWORD);
  });
});
