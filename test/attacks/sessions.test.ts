/**
 * Issue 10, items 4 and 7, as an attacker would try them: unbounded sessions from repeated logins,
 * and a session alone (borrowed, stolen, left open) moving the account to another number.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureSms, type ErrorBody, get, json, post, type SignedInBody, signIn, uniquePhone } from "../support/helpers";
import { json as answer, interceptFetch } from "../support/intercept";
import { waitForBackground } from "../support/time";

const sms = captureSms();
// Only the fetch spy goes back (captureSms keeps its console spy for the whole file).
afterEach(() => {
  if (vi.isMockFunction(globalThis.fetch)) vi.mocked(globalThis.fetch).mockRestore();
});

const RONGLIAN = {
  SMS_PROVIDER: "ronglian",
  RONGLIAN_BASE_URL: "https://ronglian.test",
  RONGLIAN_ACCOUNT_SID: "abc123",
  RONGLIAN_AUTH_TOKEN: "ronglianAuthTokenSecretValue",
  RONGLIAN_APP_ID: "app1",
};
const ronglianOk = () => answer({ statusCode: "000000", templateSMS: { smsMessageSid: "sid-1" } });

describe("bounded sessions", () => {
  it("120 password logins leave at most SESSIONS_PER_USER (10) live sessions", { timeout: 120_000 }, async () => {
    const user = await signIn(sms);
    const password = "a good password 1";
    expect((await post("/v1/me/password", { newPassword: password }, { token: user.token })).status).toBe(204);
    const tokens: string[] = [];
    for (let i = 0; i < 120; i++) {
      const login = await post("/v1/auth/password-login", { phone: user.phone, password });
      expect(login.status).toBe(200);
      tokens.push((await json<SignedInBody>(login)).accessToken);
    }
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?").bind(user.user.id).first<{ n: number }>();
    expect(rows!.n).toBe(10);
    // The ten newest work; the first one is gone.
    expect((await get("/v1/me", { token: tokens.at(-1)! })).status).toBe(200);
    expect((await get("/v1/me", { token: tokens[0]! })).status).toBe(401);
  });
});

describe("a session alone cannot move the account", () => {
  it("an old session gets 403 reauthentication_required and the change code stays unspent", async () => {
    const user = await signIn(sms);
    await env.DB.prepare("UPDATE sessions SET authenticated_at = authenticated_at - 3600000 WHERE user_id = ?").bind(user.user.id).run();
    const newPhone = uniquePhone();
    expect((await post("/v1/codes", { phone: newPhone, purpose: "change_phone" }, { token: user.token })).status).toBe(202);
    const code = sms.lastCode(newPhone, "change_phone");
    const refused = await post("/v1/me/phone", { phone: newPhone, code }, { token: user.token });
    expect(refused.status).toBe(403);
    expect((await json<ErrorBody>(refused)).error.code).toBe("reauthentication_required");
    const me = await json<{ user: { phone: string } }>(await get("/v1/me", { token: user.token }));
    expect(me.user.phone).toBe(user.phone);
  });

  it("a phone change ends the other sessions, and the old number is told when a phone_changed template exists", async () => {
    const user = await signIn(sms);
    const password = "a good password 1";
    await post("/v1/me/password", { newPassword: password }, { token: user.token });
    const attacker = await json<SignedInBody>(await post("/v1/auth/password-login", { phone: user.phone, password }));
    const templates = { RONGLIAN_TEMPLATE_IDS: '{"login":"1","register":"2","reset_password":"3","change_phone":"4","phone_changed":"9"}' };
    const intercepted = interceptFetch(ronglianOk);
    const newPhone = uniquePhone();
    const sent = await post("/v1/codes", { phone: newPhone, purpose: "change_phone" }, { token: user.token, env: { ...RONGLIAN, ...templates } });
    expect(sent.status).toBe(202);
    const code = JSON.parse(await intercepted.requests[0]!.clone().text()).datas[0] as string;
    const changed = await post("/v1/me/phone", { phone: newPhone, code }, { token: user.token, env: { ...RONGLIAN, ...templates } });
    expect(changed.status).toBe(200);

    expect((await get("/v1/me", { token: attacker.accessToken })).status).toBe(401);
    expect((await post("/v1/auth/refresh", { refreshToken: attacker.refreshToken })).status).toBe(401);

    await waitForBackground(async () => intercepted.requests.length === 2);
    const notice = JSON.parse(await intercepted.requests[1]!.clone().text());
    expect(notice).toEqual({ to: user.phone.slice(3), appId: "app1", templateId: "9", datas: [] });
  });

  it("no phone_changed template: no notice is sent", async () => {
    const user = await signIn(sms);
    const intercepted = interceptFetch(ronglianOk);
    const templates = { RONGLIAN_TEMPLATE_IDS: '{"login":"1","register":"2","reset_password":"3","change_phone":"4"}' };
    const newPhone = uniquePhone();
    await post("/v1/codes", { phone: newPhone, purpose: "change_phone" }, { token: user.token, env: { ...RONGLIAN, ...templates } });
    const code = JSON.parse(await intercepted.requests[0]!.clone().text()).datas[0] as string;
    expect((await post("/v1/me/phone", { phone: newPhone, code }, { token: user.token, env: { ...RONGLIAN, ...templates } })).status).toBe(200);
    await new Promise((done) => setTimeout(done, 300));
    expect(intercepted.requests).toHaveLength(1);
  });

  it("a change code asked for by the attacker's account cannot move the victim's", async () => {
    const victim = await signIn(sms);
    const attacker = await signIn(sms);
    const attackerNumber = uniquePhone();
    await post("/v1/codes", { phone: attackerNumber, purpose: "change_phone" }, { token: attacker.token });
    const code = sms.lastCode(attackerNumber, "change_phone");
    const verify = await post("/v1/codes/verify", { phone: attackerNumber, purpose: "change_phone", code }, { token: attacker.token });
    const { verificationToken } = await json<{ verificationToken: string }>(verify);
    // Replayed with the victim's session (a stolen access token): refused, bound to the attacker.
    const moved = await post("/v1/me/phone", { verificationToken }, { token: victim.token });
    expect(moved.status).toBe(401);
    expect((await json<{ user: { phone: string } }>(await get("/v1/me", { token: victim.token }))).user.phone).toBe(victim.phone);
  });
});
