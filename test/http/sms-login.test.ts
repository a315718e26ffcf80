import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { captureSms, type ErrorBody, get, json, post, requestCode, signIn, uniquePhone, wrongCode } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();

interface LoginBody {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  isNewUser: boolean;
  user: { id: string; phone: string; nickname: null; avatarUrl: null; hasPassword: boolean; createdAt: string };
}

describe("POST /v1/auth/sms-login", () => {
  it("registers a new phone and returns a session", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const response = await post("/v1/auth/sms-login", { phone, code });
    expect(response.status).toBe(200);
    const body = await json<LoginBody>(response);
    expect(body.isNewUser).toBe(true);
    expect(body.user).toMatchObject({ phone, nickname: null, avatarUrl: null, hasPassword: false });
    expect(body.user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.accessToken.split(".")).toHaveLength(3);
    expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(body.refreshTokenExpiresAt);
    expect(expires - Date.now()).toBeGreaterThan(29 * 24 * 3600_000);
  });

  it("logs an existing phone into the same user", async () => {
    const first = await signIn(sms);
    await age(first.phone, 61_000);
    const code = await requestCode(sms, first.phone);
    const response = await post("/v1/auth/sms-login", { phone: first.phone, code });
    const body = await json<LoginBody>(response);
    expect(body.isNewUser).toBe(false);
    expect(body.user.id).toBe(first.user.id);
    expect(body.accessToken).not.toBe(first.token);
    expect(body.refreshToken).not.toBe(first.refreshToken);
  });

  it("accepts the mainland national form and answers in E.164", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const response = await post("/v1/auth/sms-login", { phone: phone.slice(3), code });
    expect((await json<LoginBody>(response)).user.phone).toBe(phone);
  });

  it("creates exactly one user and one session for 20 parallel logins with the right code", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const responses = await Promise.all(Array.from({ length: 20 }, () => post("/v1/auth/sms-login", { phone, code })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    const users = await env.DB.prepare("SELECT count(*) AS n FROM identities WHERE identifier = ?").bind(phone).first<{ n: number }>();
    expect(users?.n).toBe(1);
    const sessions = await env.DB.prepare("SELECT count(*) AS n FROM sessions s JOIN identities i ON i.user_id = s.user_id WHERE i.identifier = ?")
      .bind(phone)
      .first<{ n: number }>();
    expect(sessions?.n).toBe(1);
  });

  it("makes one user when a password registration of the same new number finishes at the same moment", async () => {
    for (let round = 0; round < 5; round += 1) {
      const phone = uniquePhone();
      const registerCode = await requestCode(sms, phone, "register");
      const verified = await post("/v1/codes/verify", { phone, purpose: "register", code: registerCode });
      const { verificationToken } = await json<{ verificationToken: string }>(verified);
      expect((await post("/v1/register/password", { verificationToken, password: "correct horse 7", passwordConfirm: "correct horse 7" })).status).toBe(200);
      await age(phone, 61_000);
      const loginCode = await requestCode(sms, phone);

      const [login, profile] = await Promise.all([
        post("/v1/auth/sms-login", { phone, code: loginCode }),
        post("/v1/register/profile", { verificationToken, nickname: "小明" }),
      ]);
      // The SMS sign-in always succeeds: into the account the registration made, or into a new one
      // that the registration then finds taken.
      expect(login.status).toBe(200);
      const signedIn = await json<LoginBody>(login);
      expect([201, 409]).toContain(profile.status);
      if (profile.status === 201) {
        expect(signedIn.isNewUser).toBe(false);
        expect(signedIn.user.id).toBe((await json<{ user: { id: string } }>(profile)).user.id);
      } else {
        expect(signedIn.isNewUser).toBe(true);
        expect((await json<ErrorBody>(profile)).error.code).toBe("phone_registered");
      }
      const users = await env.DB.prepare("SELECT count(*) AS n FROM identities WHERE provider = 'phone' AND identifier = ?").bind(phone).first<{ n: number }>();
      expect(users?.n).toBe(1);
    }
  });

  it("answers like verify for wrong and missing codes", async () => {
    const phone = uniquePhone();
    const none = await post("/v1/auth/sms-login", { phone, code: "123456" });
    expect((await json<ErrorBody>(none)).error.code).toBe("code_expired");
    const code = await requestCode(sms, phone);
    const wrong = await post("/v1/auth/sms-login", { phone, code: wrongCode(code) });
    expect(wrong.status).toBe(400);
    expect((await json<ErrorBody>(wrong)).error).toMatchObject({ code: "invalid_code", attemptsLeft: 4 });
  });

  it("gives the code back when the database fails after it was spent", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const failing = {
      prepare: () => {
        throw new Error("D1 unavailable");
      },
      batch: () => Promise.reject(new Error("D1 unavailable")),
    };
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect((await post("/v1/auth/sms-login", { phone, code }, { env: { DB: failing } })).status).toBe(500);
    } finally {
      errors.mockRestore();
    }
    const retry = await post("/v1/auth/sms-login", { phone, code });
    expect(retry.status).toBe(200);
    // Given back once, spent once: it does not work a third time.
    expect((await json<ErrorBody>(await post("/v1/auth/sms-login", { phone, code }))).error.code).toBe("code_expired");
  });

  it("does not accept a code sent for another purpose", async () => {
    const user = await signIn(sms);
    await age(user.phone, 61_000);
    const code = await requestCode(sms, user.phone, "reset_password");
    const response = await post("/v1/auth/sms-login", { phone: user.phone, code });
    expect((await json<ErrorBody>(response)).error.code).toBe("code_expired");
  });
});

describe("sessions", () => {
  it("GET /v1/me returns the user for a live session", async () => {
    const user = await signIn(sms);
    const response = await get("/v1/me", { token: user.token });
    expect(response.status).toBe(200);
    expect((await json<{ user: { id: string; phone: string } }>(response)).user).toMatchObject({ id: user.user.id, phone: user.phone });
  });

  it("stores only the SHA-256 of the refresh token, and no access token at all", async () => {
    const user = await signIn(sms);
    const rows = await env.DB.prepare("SELECT refresh_hash FROM sessions WHERE user_id = ?").bind(user.user.id).all<{ refresh_hash: string }>();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(user.refreshToken)));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    expect(rows.results.map((r) => r.refresh_hash)).toEqual([hex]);
    const dump = JSON.stringify(await env.DB.prepare("SELECT * FROM sessions").all());
    expect(dump).not.toContain(user.refreshToken);
    expect(dump).not.toContain(user.token);
  });

  it("answers 401 for no token, a malformed token and an unknown token", async () => {
    for (const token of [undefined, "abc", "A".repeat(43)]) {
      const response = await get("/v1/me", token ? { token } : {});
      expect(response.status).toBe(401);
      expect((await json<ErrorBody>(response)).error.code).toBe("unauthorized");
    }
  });

  it("logout deletes the session", async () => {
    const user = await signIn(sms);
    const out = await post("/v1/auth/logout", undefined, { token: user.token });
    expect(out.status).toBe(204);
    expect((await get("/v1/me", { token: user.token })).status).toBe(401);
    expect((await post("/v1/auth/logout", undefined, { token: user.token })).status).toBe(401);
  });

  it("refuses the access token of an expired session at once", async () => {
    const user = await signIn(sms);
    expect((await get("/v1/me", { token: user.token })).status).toBe(200);
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE user_id = ?")
      .bind(Date.now() - 1000, user.user.id)
      .run();
    expect((await get("/v1/me", { token: user.token })).status).toBe(401);
  });
});
