import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, captureSms, type ErrorBody, get, json, post, type SignedInBody, signIn } from "../support/helpers";

const sms = captureSms();

interface DeviceList {
  sessions: { id: string; createdAt: string; lastSeenAt: string; expiresAt: string; userAgent: string | null; country: string | null; current: boolean }[];
}

/** Signs the same user in again with a password (set first) and a chosen User-Agent. */
async function passwordLogin(phone: string, password: string, userAgent = "test-agent") {
  const response = await post("/v1/auth/password-login", { phone, password }, { headers: { "User-Agent": userAgent } });
  if (response.status !== 200) throw new Error(`password-login failed: ${response.status} ${await response.text()}`);
  return json<SignedInBody>(response);
}

async function userWithPassword() {
  const user = await signIn(sms);
  const password = "a good password 1";
  expect((await post("/v1/me/password", { newPassword: password }, { token: user.token })).status).toBe(204);
  return { ...user, password };
}

describe("the device list", () => {
  it("lists live sessions, marks the current one, trims the user agent", async () => {
    const user = await userWithPassword();
    const second = await passwordLogin(user.phone, user.password, "x".repeat(300));
    const list = await json<DeviceList>(await get("/v1/sessions", { token: second.accessToken }));
    expect(list.sessions).toHaveLength(2);
    const current = list.sessions.filter((s) => s.current);
    expect(current).toHaveLength(1);
    expect(current[0]!.userAgent).toBe("x".repeat(200));
    expect(list.sessions[0]!.current).toBe(true);
  });

  it("DELETE /v1/sessions/{id} ends that session; another user's id is 404", async () => {
    const user = await userWithPassword();
    const other = await passwordLogin(user.phone, user.password);
    const stranger = await signIn(sms);
    const list = await json<DeviceList>(await get("/v1/sessions", { token: user.token }));
    const otherId = list.sessions.find((s) => !s.current)!.id;

    const foreign = await call("DELETE", `/v1/sessions/${otherId}`, undefined, { token: stranger.token });
    expect(foreign.status).toBe(404);
    expect((await json<ErrorBody>(foreign)).error.code).toBe("not_found");
    expect((await get("/v1/me", { token: other.accessToken })).status).toBe(200);

    expect((await call("DELETE", `/v1/sessions/${otherId}`, undefined, { token: user.token })).status).toBe(204);
    expect((await get("/v1/me", { token: other.accessToken })).status).toBe(401);
    expect((await post("/v1/auth/refresh", { refreshToken: other.refreshToken })).status).toBe(401);
    expect((await get("/v1/me", { token: user.token })).status).toBe(200);
  });

  it("logout ends the current session, its refresh token included", async () => {
    const user = await signIn(sms);
    expect((await post("/v1/auth/logout", undefined, { token: user.token })).status).toBe(204);
    expect((await post("/v1/auth/refresh", { refreshToken: user.refreshToken })).status).toBe(401);
  });

  it("logout-all ends every session of the user, the current one included", async () => {
    const user = await userWithPassword();
    const other = await passwordLogin(user.phone, user.password);
    const bystander = await signIn(sms);
    expect((await post("/v1/auth/logout-all", undefined, { token: user.token })).status).toBe(204);
    for (const token of [user.token, other.accessToken]) expect((await get("/v1/me", { token })).status).toBe(401);
    expect((await post("/v1/auth/refresh", { refreshToken: other.refreshToken })).status).toBe(401);
    expect((await get("/v1/me", { token: bystander.token })).status).toBe(200);
  });
});

describe("bounded sessions", () => {
  it("keeps at most SESSIONS_PER_USER live sessions: the oldest ends when a new one starts", async () => {
    const user = await userWithPassword();
    const logins: SignedInBody[] = [];
    // 1 (the SMS sign-in) + 10 password logins = 11 > 10.
    for (let i = 0; i < 10; i++) logins.push(await passwordLogin(user.phone, user.password));
    const count = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?").bind(user.user.id).first<{ n: number }>();
    expect(count!.n).toBe(10);
    expect((await get("/v1/me", { token: user.token })).status).toBe(401);
    for (const login of logins) expect((await get("/v1/me", { token: login.accessToken })).status).toBe(200);
  });

  it("the cap is a setting", async () => {
    const user = await userWithPassword();
    const envCap = { SESSIONS_PER_USER: "2" };
    for (let i = 0; i < 3; i++) {
      const r = await post("/v1/auth/password-login", { phone: user.phone, password: user.password }, { env: envCap });
      expect(r.status).toBe(200);
    }
    const count = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?").bind(user.user.id).first<{ n: number }>();
    expect(count!.n).toBe(2);
  });

  it("a session ends at its absolute lifetime even when used every day", async () => {
    const user = await signIn(sms);
    const row = await env.DB.prepare("SELECT created_at, max_expires_at FROM sessions WHERE user_id = ?")
      .bind(user.user.id)
      .first<{ created_at: number; max_expires_at: number }>();
    expect(row!.max_expires_at - row!.created_at).toBe(90 * 86400_000);
  });

  it("the daily Cron Trigger deletes expired sessions and old spent refresh tokens, and nothing live", async () => {
    const live = await signIn(sms);
    const stale = await signIn(sms);
    const capped = await signIn(sms);
    await post("/v1/auth/refresh", { refreshToken: stale.refreshToken });
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE user_id = ?")
      .bind(Date.now() - 1, stale.user.id)
      .run();
    await env.DB.prepare("UPDATE sessions SET max_expires_at = ? WHERE user_id = ?")
      .bind(Date.now() - 1, capped.user.id)
      .run();
    const refreshed = await json<SignedInBody>(await post("/v1/auth/refresh", { refreshToken: live.refreshToken }));
    await env.DB.prepare("UPDATE spent_refresh_tokens SET spent_at = ?")
      .bind(Date.now() - 31 * 86400_000)
      .run();

    // The Worker's own scheduled handler, as the Cron Trigger calls it.
    // exports.default is typed as its fetch side only; the binding also carries scheduled().
    const worker = exports.default as unknown as { scheduled(options: { cron: string; scheduledTime: Date }): Promise<unknown> };
    await worker.scheduled({ cron: "17 3 * * *", scheduledTime: new Date() });

    const users = async (id: string) => (await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?").bind(id).first<{ n: number }>())!.n;
    expect(await users(stale.user.id)).toBe(0);
    expect(await users(capped.user.id)).toBe(0);
    expect(await users(live.user.id)).toBe(1);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM spent_refresh_tokens").first<{ n: number }>())!.n).toBe(0);
    expect((await get("/v1/me", { token: refreshed.accessToken })).status).toBe(200);
  });
});
