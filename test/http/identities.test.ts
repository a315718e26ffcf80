import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, captureSms, type ErrorBody, get, json, post, requestCode, signIn, uniqueIp } from "../support/helpers";
import { age } from "../support/time";
import { fakeWechat, identityAnswer, unique, uniqueAppId, wechatEnv } from "../support/wechat";

const sms = captureSms();

afterEach(() => {
  if (vi.isMockFunction(globalThis.fetch)) vi.mocked(globalThis.fetch).mockRestore();
});

type Identities = { identities: Record<string, unknown>[] };

/** Makes a session look as if it signed in (or re-authenticated) `seconds` ago. */
async function ageSessions(userId: string, seconds: number): Promise<void> {
  await env.DB.prepare("UPDATE sessions SET authenticated_at = ? WHERE user_id = ?")
    .bind(Date.now() - seconds * 1000, userId)
    .run();
}

describe("linked sign-in methods", () => {
  it("GET /v1/me/identities lists the phone, and the password once one is set", async () => {
    const user = await signIn(sms);
    const response = await get("/v1/me/identities", { token: user.token });
    expect(response.status).toBe(200);
    expect(await json<Identities>(response)).toEqual({ identities: [{ provider: "phone", identifier: user.phone }] });
    await env.DB.prepare("UPDATE users SET password_hash = 'pbkdf2$x' WHERE id = ?").bind(user.user.id).run();
    expect((await json<Identities>(await get("/v1/me/identities", { token: user.token }))).identities).toEqual([
      { provider: "phone", identifier: user.phone },
      { provider: "password" },
    ]);
  });

  it("needs a session", async () => {
    for (const response of [
      await get("/v1/me/identities"),
      await post("/v1/me/identities/wechat", { code: "c" }),
      await call("DELETE", "/v1/me/identities/wechat"),
    ]) {
      expect(response.status).toBe(401);
    }
  });

  it("links WeChat after a recent sign-in, then the WeChat signs in to this user; unlinking keeps the phone", async () => {
    const wx = fakeWechat();
    const settings = wechatEnv(uniqueAppId());
    const user = await signIn(sms);
    const openid = unique("openid");
    wx.logins.set("link", identityAnswer(openid));
    wx.logins.set("login", identityAnswer(openid));
    wx.logins.set("login-after", identityAnswer(openid));

    const linked = await post("/v1/me/identities/wechat", { code: "link" }, { token: user.token, env: settings });
    expect(linked.status).toBe(200);
    expect((await json<Identities>(linked)).identities).toEqual([
      { provider: "phone", identifier: user.phone },
      { provider: "wechat", identifier: `${openid.slice(0, 4)}****${openid.slice(-4)}`, linkedAt: expect.any(String) },
    ]);
    const login = await json<{ status: string; user: { id: string } }>(await post("/v1/auth/wechat/login", { code: "login" }, { env: settings }));
    expect(login).toMatchObject({ status: "signed_in", user: { id: user.user.id } });

    const unlinked = await call("DELETE", "/v1/me/identities/wechat", undefined, { token: user.token, env: settings });
    expect(unlinked.status).toBe(204);
    expect((await json<Identities>(await get("/v1/me/identities", { token: user.token }))).identities).toEqual([{ provider: "phone", identifier: user.phone }]);
    const after = await json<{ status: string }>(await post("/v1/auth/wechat/login", { code: "login-after" }, { env: settings }));
    expect(after.status).toBe("phone_required");
    // Unlinking again is harmless.
    expect((await call("DELETE", "/v1/me/identities/wechat", undefined, { token: user.token })).status).toBe(204);
  });

  it("linking another WeChat replaces the one linked before", async () => {
    const wx = fakeWechat();
    const settings = wechatEnv(uniqueAppId());
    const user = await signIn(sms);
    const [first, second] = [unique("openidA"), unique("openidB")];
    wx.logins.set("a", identityAnswer(first));
    wx.logins.set("b", identityAnswer(second));
    expect((await post("/v1/me/identities/wechat", { code: "a" }, { token: user.token, env: settings })).status).toBe(200);
    const replaced = await json<Identities>(await post("/v1/me/identities/wechat", { code: "b" }, { token: user.token, env: settings }));
    expect(replaced.identities.filter((i) => i.provider === "wechat")).toEqual([
      { provider: "wechat", identifier: `${second.slice(0, 4)}****${second.slice(-4)}`, linkedAt: expect.any(String) },
    ]);
  });

  it("a WeChat that belongs to another user is 409 identity_in_use", async () => {
    const wx = fakeWechat();
    const settings = wechatEnv(uniqueAppId());
    const [owner, other] = [await signIn(sms), await signIn(sms)];
    const openid = unique("openid");
    wx.logins.set("1", identityAnswer(openid));
    wx.logins.set("2", identityAnswer(openid));
    expect((await post("/v1/me/identities/wechat", { code: "1" }, { token: owner.token, env: settings })).status).toBe(200);
    const response = await post("/v1/me/identities/wechat", { code: "2" }, { token: other.token, env: settings });
    expect(response.status).toBe(409);
    expect((await json<ErrorBody>(response)).error.code).toBe("identity_in_use");
  });

  it("linking and unlinking need a recent sign-in: an older session is 403 reauthentication_required and WeChat is not asked", async () => {
    const wx = fakeWechat();
    const settings = wechatEnv(uniqueAppId());
    const user = await signIn(sms);
    wx.logins.set("c", identityAnswer(unique("openid")));
    await ageSessions(user.user.id, 601);
    for (const response of [
      await post("/v1/me/identities/wechat", { code: "c" }, { token: user.token, env: settings }),
      await call("DELETE", "/v1/me/identities/wechat", undefined, { token: user.token, env: settings }),
    ]) {
      expect(response.status).toBe(403);
      expect((await json<ErrorBody>(response)).error.code).toBe("reauthentication_required");
    }
    expect(wx.requests).toHaveLength(0);
    // Still fine for reading.
    expect((await get("/v1/me/identities", { token: user.token })).status).toBe(200);
    // Re-authenticated with a code to the account's own number: linking works again.
    await age(user.phone, 61_000);
    const code = await requestCode(sms, user.phone, "reauthenticate", { token: user.token });
    expect((await post("/v1/auth/reauthenticate", { code }, { token: user.token })).status).toBe(200);
    expect((await post("/v1/me/identities/wechat", { code: "c" }, { token: user.token, env: settings })).status).toBe(200);
  });

  it("a bad wx.login code is 400 wechat_code_invalid; no settings is 503", async () => {
    fakeWechat();
    const user = await signIn(sms);
    const bad = await post("/v1/me/identities/wechat", { code: "unknown" }, { token: user.token, env: wechatEnv(uniqueAppId()) });
    expect(bad.status).toBe(400);
    expect((await json<ErrorBody>(bad)).error.code).toBe("wechat_code_invalid");
    const off = await post("/v1/me/identities/wechat", { code: "unknown" }, { token: user.token, env: { WECHAT_APP_ID: "" } });
    expect(off.status).toBe(503);
  });

  it("every identities route counts against the per-address limit", async () => {
    const user = await signIn(sms);
    const ip = uniqueIp();
    const settings = { IP_VERIFICATIONS_PER_HOUR: "2" };
    expect((await get("/v1/me/identities", { token: user.token, ip, env: settings })).status).toBe(200);
    expect((await call("DELETE", "/v1/me/identities/wechat", undefined, { token: user.token, ip, env: settings })).status).toBe(204);
    expect((await get("/v1/me/identities", { token: user.token, ip, env: settings })).status).toBe(429);
  });
});
