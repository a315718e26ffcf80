import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signAccessToken } from "../../src/auth/access-token";
import { parseConfig } from "../../src/platform/config";
import { admin, auditRows, waitForAudit } from "../support/admin";
import { captureSms, type ErrorBody, get, json, post, requestCode, signIn, uniquePhone } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();

interface Lookup {
  user: { user: { id: string; phone: string }; liveSessions: number; banned: { reason: string } | null; identities: { provider: string }[] } | null;
  phoneState: { phone: string; lockedUntil: string | null; sendsLast24h: number } | null;
}

async function withPassword(phone: string, password: string) {
  const { token, user } = await signIn(sms, phone);
  await age(phone, 61_000);
  const code = await requestCode(sms, phone, "reset_password");
  const reset = await post("/v1/password/reset", { phone, code, newPassword: password });
  if (reset.status !== 204) throw new Error(`reset failed ${reset.status} ${await reset.text()}`);
  return { token, user };
}

describe("admin: users", () => {
  it("looks a user up by phone and by id: identities, live sessions, ban, the phone's limits", async () => {
    const { phone, user } = await signIn(sms);
    const byPhone = await json<Lookup>(await admin("GET", `/users?phone=${encodeURIComponent(phone)}`));
    expect(byPhone.user?.user.id).toBe(user.id);
    expect(byPhone.user?.identities.map((i) => i.provider)).toEqual(["phone"]);
    expect(byPhone.user?.liveSessions).toBeGreaterThanOrEqual(1);
    expect(byPhone.user?.banned).toBeNull();
    expect(byPhone.phoneState?.phone).toBe(phone);
    expect(byPhone.phoneState?.sendsLast24h).toBeGreaterThanOrEqual(1);
    const byId = await json<Lookup>(await admin("GET", `/users/${user.id}`));
    expect(byId.user?.user.phone).toBe(phone);
    const unknown = await json<Lookup>(await admin("GET", `/users?phone=${encodeURIComponent(uniquePhone())}`));
    expect(unknown.user).toBeNull();
    expect(unknown.phoneState?.lockedUntil).toBeNull();
    const missing = await admin("GET", "/users/00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect((await json<ErrorBody>(missing)).error.code).toBe("user_not_found");
    expect((await admin("GET", "/users?phone=12")).status).toBe(400);
  });

  it("a ban ends every session and refuses every way in with 403 account_disabled; unban lets the user back", async () => {
    const phone = uniquePhone();
    const { token, user } = await withPassword(phone, "correct-horse-42");
    const second = await post("/v1/auth/password-login", { phone, password: "correct-horse-42" });
    expect(second.status).toBe(200);
    const ban = await admin("POST", `/users/${user.id}/ban`, { reason: "account taken over" });
    expect(ban.status).toBe(200);
    const banned = await json<{ user: NonNullable<Lookup["user"]> }>(ban);
    expect(banned.user.banned?.reason).toBe("account taken over");
    expect(banned.user.liveSessions).toBe(0);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?").bind(user.id).first<{ n: number }>();
    expect(count?.n).toBe(0);

    // Bearer calls: the old token is gone (401); a session that survived a race is refused (403).
    expect((await get("/v1/me", { token })).status).toBe(401);
    const now = Date.now();
    const racingRefresh = "r".repeat(43);
    const refreshHash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(racingRefresh)))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    await env.DB.prepare(
      "INSERT INTO sessions (id, user_id, refresh_hash, created_at, last_seen_at, expires_at, max_expires_at, authenticated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
      .bind("racing-session", user.id, refreshHash, now, now, now + 3600_000, now + 3600_000, now)
      .run();
    const { token: racing } = await signAccessToken(parseConfig({ ENVIRONMENT: "test" }), { userId: user.id, sessionId: "racing-session", phone });
    const me = await get("/v1/me", { token: racing });
    expect(me.status).toBe(403);
    expect((await json<ErrorBody>(me)).error.code).toBe("account_disabled");
    const refreshed = await post("/v1/auth/refresh", { refreshToken: racingRefresh });
    expect(refreshed.status).toBe(403);
    expect((await json<ErrorBody>(refreshed)).error.code).toBe("account_disabled");

    // Sign-ins: by code and by password, once the proof is right.
    await age(phone, 61_000);
    const code = await requestCode(sms, phone);
    const byCode = await post("/v1/auth/sms-login", { phone, code });
    expect(byCode.status).toBe(403);
    expect((await json<ErrorBody>(byCode)).error.code).toBe("account_disabled");
    const byPassword = await post("/v1/auth/password-login", { phone, password: "correct-horse-42" });
    expect(byPassword.status).toBe(403);
    // A wrong password still answers 401: the ban is told only to someone who proves the phone.
    expect((await post("/v1/auth/password-login", { phone, password: "wrong-horse-42" })).status).toBe(401);

    const unban = await admin("POST", `/users/${user.id}/unban`);
    expect(unban.status).toBe(200);
    expect((await json<{ user: NonNullable<Lookup["user"]> }>(unban)).user.banned).toBeNull();
    expect((await post("/v1/auth/password-login", { phone, password: "correct-horse-42" })).status).toBe(200);

    const ban2 = await waitForAudit((r) => r.type === "user.banned" && r.user_id === user.id);
    expect(ban2.actor).toMatch(/^key:[0-9a-f]{8}$/);
    expect(JSON.parse(String(ban2.detail))).toEqual({ reason: "account taken over" });
    await waitForAudit((r) => r.type === "user.unbanned" && r.user_id === user.id);
    await waitForAudit((r) => r.type === "session.ended" && r.user_id === user.id && String(r.detail).includes("banned"));
    await waitForAudit((r) => r.type === "sign_in.failed" && String(r.detail).includes("account_disabled"));
  });

  it("ends every session of a user and says how many", async () => {
    const { phone, token, user } = await signIn(sms);
    await age(phone, 61_000);
    const { token: other } = await signIn(sms, phone);
    const ended = await admin("DELETE", `/users/${user.id}/sessions`);
    expect(await json(ended)).toEqual({ ended: 2 });
    expect((await get("/v1/me", { token })).status).toBe(401);
    expect((await get("/v1/me", { token: other })).status).toBe(401);
    const row = await waitForAudit((r) => r.type === "admin.sessions_ended" && r.user_id === user.id);
    expect(JSON.parse(String(row.detail))).toEqual({ count: 2 });
  });

  it("never writes a code, password or token into the trail", async () => {
    const phone = uniquePhone();
    const { token } = await withPassword(phone, "secret-pass-99");
    await waitForAudit((r) => r.type === "user.password_changed");
    const text = JSON.stringify(await auditRows());
    expect(text).not.toContain(phone);
    expect(text).not.toContain("secret-pass-99");
    expect(text).not.toContain(token);
    for (const line of sms.events().filter((e) => e.event === "sms.console")) expect(text).not.toContain(`"${String(line.code)}"`);
  });
});
