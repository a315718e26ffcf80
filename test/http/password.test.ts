import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { hashPassword, MAX_PBKDF2_ITERATIONS, needsRehash, verifyPassword } from "../../src/auth/passwords";
import { captureSms, type ErrorBody, get, json, post, requestCode, signIn, uniquePhone } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();
const PASSWORD = "s3cret enough";

/** A user with a password, through the four registration steps. */
async function registered(phone = uniquePhone(), password = PASSWORD) {
  const code = await requestCode(sms, phone, "register");
  const { verificationToken } = await json<{ verificationToken: string }>(await post("/v1/codes/verify", { phone, purpose: "register", code }));
  await post("/v1/register/password", { verificationToken, password, passwordConfirm: password });
  const body = await json<{ accessToken: string; user: { id: string } }>(await post("/v1/register/profile", { verificationToken, nickname: "n" }));
  await age(phone, 61_000);
  return { phone, token: body.accessToken, userId: body.user.id };
}

const login = (phone: string, password: string) => post("/v1/auth/password-login", { phone, password });

describe("POST /v1/auth/password-login", () => {
  it("signs in with the right password", async () => {
    const user = await registered();
    const response = await login(user.phone, PASSWORD);
    expect(response.status).toBe(200);
    const body = await json<{ accessToken: string; user: { id: string; hasPassword: boolean } }>(response);
    expect(body.user).toMatchObject({ id: user.userId, hasPassword: true });
    expect((await get("/v1/me", { token: body.accessToken })).status).toBe(200);
  });

  it("answers an unknown phone, a wrong password and a password-less user with the same 401 body", async () => {
    const user = await registered();
    const smsOnly = await signIn(sms);
    const bodies = [];
    for (const response of [await login(uniquePhone(), PASSWORD), await login(user.phone, "wrong password"), await login(smsOnly.phone, PASSWORD)]) {
      expect(response.status).toBe(401);
      bodies.push(await response.text());
    }
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!).error.code).toBe("invalid_credentials");
  });

  it("still runs PBKDF2 for an unknown phone", async () => {
    await login(uniquePhone(), PASSWORD); // the dummy hash is made once, on first use
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    try {
      await login(uniquePhone(), PASSWORD);
      expect(derive).toHaveBeenCalledTimes(1);
      expect(derive.mock.calls[0]![0]).toMatchObject({ name: "PBKDF2", iterations: 100_000 });
    } finally {
      derive.mockRestore();
    }
  });

  it("locks a phone after 10 failures in 15 minutes, exactly, even in parallel", async () => {
    const user = await registered();
    const responses = await Promise.all(Array.from({ length: 14 }, () => login(user.phone, "wrong password")));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    const locked = await login(user.phone, PASSWORD);
    expect(locked.status).toBe(429);
    const body = await json<ErrorBody>(locked);
    expect(body.error.code).toBe("too_many_attempts");
    expect(body.error.retryAfter).toBeGreaterThan(800);
    expect(locked.headers.get("Retry-After")).toBe(String(body.error.retryAfter));
    await age(user.phone, 15 * 60_000 + 1000);
    expect((await login(user.phone, PASSWORD)).status).toBe(200);
  });

  it("counts password tries against the client address: one address cannot spray many numbers", async () => {
    const ip = "203.0.113.77";
    const statuses = [];
    for (let i = 0; i < 32; i += 1) statuses.push((await post("/v1/auth/password-login", { phone: uniquePhone(), password: PASSWORD }, { ip })).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(30);
    const limited = await post("/v1/auth/password-login", { phone: uniquePhone(), password: PASSWORD }, { ip });
    expect(limited.status).toBe(429);
    expect((await json<ErrorBody>(limited)).error.code).toBe("too_many_requests");
    expect(limited.headers.get("Retry-After")).toBeTruthy();
  });

  it("resets the failure count after a success", async () => {
    const user = await registered();
    for (let i = 0; i < 9; i += 1) expect((await login(user.phone, "wrong password")).status).toBe(401);
    expect((await login(user.phone, PASSWORD)).status).toBe(200);
    for (let i = 0; i < 9; i += 1) expect((await login(user.phone, "wrong password")).status).toBe(401);
    expect((await login(user.phone, PASSWORD)).status).toBe(200);
  });

  it("rehashes a password stored at another cost on login", async () => {
    const user = await registered();
    const old = await hashPassword(PASSWORD, 1000);
    await env.DB.prepare("UPDATE users SET password_hash = ? WHERE id = ?").bind(old, user.userId).run();
    expect((await login(user.phone, PASSWORD)).status).toBe(200);
    const row = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?").bind(user.userId).first<{ password_hash: string }>();
    expect(row!.password_hash).not.toBe(old);
    expect(needsRehash(row!.password_hash)).toBe(false);
    expect((await login(user.phone, PASSWORD)).status).toBe(200);
  });
});

describe("PBKDF2 iteration guard", () => {
  it("refuses more iterations than Workers' production runtime allows, though the local one would run them", async () => {
    await expect(hashPassword("x", MAX_PBKDF2_ITERATIONS + 1)).rejects.toThrow(RangeError);
    const tooCostly = `pbkdf2-sha256$${MAX_PBKDF2_ITERATIONS + 1}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
    await expect(verifyPassword("x", tooCostly)).rejects.toThrow(RangeError);
    expect(await verifyPassword("x", await hashPassword("x", MAX_PBKDF2_ITERATIONS))).toBe(true);
  });
});

describe("POST /v1/password/reset", () => {
  async function resetToken(phone: string) {
    const code = await requestCode(sms, phone, "reset_password");
    const response = await post("/v1/codes/verify", { phone, purpose: "reset_password", code });
    return (await json<{ verificationToken: string }>(response)).verificationToken;
  }

  it("sets a new password with a code and revokes every session", async () => {
    const user = await registered();
    const other = await json<{ accessToken: string }>(await login(user.phone, PASSWORD));
    expect((await get("/v1/me", { token: other.accessToken })).status).toBe(200);
    const code = await requestCode(sms, user.phone, "reset_password");
    const response = await post("/v1/password/reset", { phone: user.phone, code, newPassword: "a brand new one" });
    expect(response.status).toBe(204);
    expect((await get("/v1/me", { token: user.token })).status).toBe(401);
    expect((await get("/v1/me", { token: other.accessToken })).status).toBe(401);
    expect((await login(user.phone, PASSWORD)).status).toBe(401);
    expect((await login(user.phone, "a brand new one")).status).toBe(200);
  });

  it("sets a new password with a verificationToken, once", async () => {
    const user = await registered();
    const token = await resetToken(user.phone);
    expect((await post("/v1/password/reset", { verificationToken: token, newPassword: "another new one" })).status).toBe(204);
    const again = await post("/v1/password/reset", { verificationToken: token, newPassword: "and yet another" });
    expect(again.status).toBe(401);
    expect((await json<ErrorBody>(again)).error.code).toBe("invalid_verification_token");
    expect((await login(user.phone, "another new one")).status).toBe(200);
  });

  it("gives a user who signed up by SMS a password", async () => {
    const user = await signIn(sms);
    await age(user.phone, 61_000);
    const token = await resetToken(user.phone);
    expect((await post("/v1/password/reset", { verificationToken: token, newPassword: "first password" })).status).toBe(204);
    const response = await login(user.phone, "first password");
    expect((await json<{ user: { hasPassword: boolean } }>(response)).user.hasPassword).toBe(true);
  });

  it("refuses a weak password without spending the code", async () => {
    const user = await registered();
    const code = await requestCode(sms, user.phone, "reset_password");
    const weak = await post("/v1/password/reset", { phone: user.phone, code, newPassword: "12345678" });
    expect(weak.status).toBe(400);
    expect((await json<ErrorBody>(weak)).error.code).toBe("weak_password");
    expect((await post("/v1/password/reset", { phone: user.phone, code, newPassword: "strong enough now" })).status).toBe(204);
  });

  it("answers like verify for a wrong code, and refuses tokens of another purpose", async () => {
    const user = await registered();
    const none = await post("/v1/password/reset", { phone: user.phone, code: "123456", newPassword: "strong enough now" });
    expect((await json<ErrorBody>(none)).error.code).toBe("code_expired");
    const code = await requestCode(sms, user.phone, "login");
    const { verificationToken } = await json<{ verificationToken: string }>(await post("/v1/codes/verify", { phone: user.phone, purpose: "login", code }));
    const foreign = await post("/v1/password/reset", { verificationToken, newPassword: "strong enough now" });
    expect(foreign.status).toBe(401);
    expect((await json<ErrorBody>(foreign)).error.code).toBe("invalid_verification_token");
  });

  it("rejects a body that mixes both forms", async () => {
    const response = await post("/v1/password/reset", { phone: uniquePhone(), code: "123456", verificationToken: "x", newPassword: "strong enough now" });
    expect(response.status).toBe(400);
    expect((await json<ErrorBody>(response)).error.code).toBe("invalid_request");
  });
});
