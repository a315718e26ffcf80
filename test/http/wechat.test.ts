import { afterEach, describe, expect, it, vi } from "vitest";
import { captureSms, type ErrorBody, get, json, post, signIn, uniqueIp, uniquePhone } from "../support/helpers";
import { fakeWechat, identityAnswer, never, phoneAnswer, unique, uniqueAppId, wechatEnv } from "../support/wechat";

const sms = captureSms();

afterEach(() => {
  // Only the fetch spy: the SMS capture (a spy on console.log) stays for the whole file.
  if (vi.isMockFunction(globalThis.fetch)) vi.mocked(globalThis.fetch).mockRestore();
});

interface SignedInBody {
  accessToken: string;
  refreshToken: string;
  user: { id: string; phone: string };
  isNewUser: boolean;
}

describe("WeChat sign-in: phone required → phone → linked", () => {
  it("an unlinked WeChat gets a ticket; the phone step registers and links; the next wx.login signs straight in", async () => {
    const wx = fakeWechat();
    const appId = uniqueAppId();
    const env = wechatEnv(appId);
    const openid = unique("openid");
    const phone = uniquePhone();
    wx.logins.set("login-1", identityAnswer(openid));
    wx.logins.set("login-2", identityAnswer(openid));
    wx.phones.set("phone-1", phoneAnswer(phone, appId));

    const first = await post("/v1/auth/wechat/login", { code: "login-1" }, { env });
    expect(first.status).toBe(200);
    const ticket = await json<{ status: string; wechatTicket: string; expiresIn: number }>(first);
    expect(ticket.status).toBe("phone_required");
    expect(ticket.expiresIn).toBe(300);
    expect(JSON.stringify(ticket)).not.toContain(openid);

    const signed = await post("/v1/auth/wechat/phone", { phoneCode: "phone-1", wechatTicket: ticket.wechatTicket }, { env });
    expect(signed.status).toBe(200);
    const body = await json<SignedInBody>(signed);
    expect(body.isNewUser).toBe(true);
    expect(body.user.phone).toBe(phone);

    const again = await post("/v1/auth/wechat/login", { code: "login-2" }, { env });
    expect(again.status).toBe(200);
    const back = await json<{ status: string; accessToken: string; user: { id: string }; isNewUser: boolean }>(again);
    expect(back).toMatchObject({ status: "signed_in", isNewUser: false, user: { id: body.user.id } });
    expect((await get("/v1/me", { token: back.accessToken })).status).toBe(200);

    const identities = await json<{ identities: Record<string, unknown>[] }>(await get("/v1/me/identities", { token: back.accessToken }));
    expect(identities.identities).toEqual([
      { provider: "phone", identifier: phone },
      { provider: "wechat", identifier: `${openid.slice(0, 4)}****${openid.slice(-4)}`, linkedAt: expect.any(String) },
    ]);
  });

  it("signs in to the user who already has the phone (isNewUser false), linking WeChat to it", async () => {
    // A user registered by SMS first.
    const existing = await signIn(sms);
    const phone = existing.phone;
    const env = wechatEnv(uniqueAppId());
    const wx2 = fakeWechat();
    const openid = unique("openid");
    wx2.logins.set("l", identityAnswer(openid));
    wx2.phones.set("p", phoneAnswer(phone));
    const { wechatTicket } = await json<{ wechatTicket: string }>(await post("/v1/auth/wechat/login", { code: "l" }, { env }));
    const signed = await json<SignedInBody>(await post("/v1/auth/wechat/phone", { phoneCode: "p", wechatTicket }, { env }));
    expect(signed).toMatchObject({ isNewUser: false, user: { id: existing.user.id, phone } });
    wx2.logins.set("l2", identityAnswer(openid));
    const back = await json<{ status: string; user: { id: string } }>(await post("/v1/auth/wechat/login", { code: "l2" }, { env }));
    expect(back).toMatchObject({ status: "signed_in", user: { id: existing.user.id } });
  });

  it("without a ticket, the phone step signs in or registers by phone and links nothing", async () => {
    const wx = fakeWechat();
    const env = wechatEnv(uniqueAppId());
    const phone = uniquePhone();
    wx.phones.set("p1", phoneAnswer(phone));
    wx.phones.set("p2", phoneAnswer(phone));
    const first = await json<SignedInBody>(await post("/v1/auth/wechat/phone", { phoneCode: "p1" }, { env }));
    expect(first).toMatchObject({ isNewUser: true, user: { phone } });
    const second = await json<SignedInBody>(await post("/v1/auth/wechat/phone", { phoneCode: "p2" }, { env }));
    expect(second).toMatchObject({ isNewUser: false, user: { id: first.user.id } });
    const identities = await json<{ identities: { provider: string }[] }>(await get("/v1/me/identities", { token: second.accessToken }));
    expect(identities.identities.map((i) => i.provider)).toEqual(["phone"]);
  });

  it("keys the identity by unionid when WeChat gives one: another app of the company signs the same user in", async () => {
    const wx = fakeWechat();
    const unionid = unique("unionid");
    const phone = uniquePhone();
    const appA = wechatEnv(uniqueAppId());
    const appB = wechatEnv(uniqueAppId());
    wx.logins.set("a", identityAnswer(unique("openidA"), unionid));
    wx.logins.set("b", identityAnswer(unique("openidB"), unionid));
    wx.phones.set("p", phoneAnswer(phone));
    const { wechatTicket } = await json<{ wechatTicket: string }>(await post("/v1/auth/wechat/login", { code: "a" }, { env: appA }));
    const user = await json<SignedInBody>(await post("/v1/auth/wechat/phone", { phoneCode: "p", wechatTicket }, { env: appA }));
    const other = await json<{ status: string; user: { id: string } }>(await post("/v1/auth/wechat/login", { code: "b" }, { env: appB }));
    expect(other).toMatchObject({ status: "signed_in", user: { id: user.user.id } });
  });

  it("an identity linked by openid before the unionid was known is found by it, and moved to the unionid", async () => {
    const wx = fakeWechat();
    const env = wechatEnv(uniqueAppId());
    const openid = unique("openid");
    const unionid = unique("unionid");
    wx.logins.set("before", identityAnswer(openid));
    wx.phones.set("p", phoneAnswer(uniquePhone()));
    const { wechatTicket } = await json<{ wechatTicket: string }>(await post("/v1/auth/wechat/login", { code: "before" }, { env }));
    const user = await json<SignedInBody>(await post("/v1/auth/wechat/phone", { phoneCode: "p", wechatTicket }, { env }));
    wx.logins.set("after", identityAnswer(openid, unionid));
    wx.logins.set("elsewhere", identityAnswer(unique("openid-other-app"), unionid));
    for (const code of ["after", "elsewhere"]) {
      const back = await json<{ status: string; user: { id: string } }>(await post("/v1/auth/wechat/login", { code }, { env }));
      expect(back, code).toMatchObject({ status: "signed_in", user: { id: user.user.id } });
    }
  });
});

describe("WeChat errors", () => {
  const errorOf = async (response: Response) => ({ status: response.status, code: (await json<ErrorBody>(response)).error.code });

  it.each([
    [40029, 400, "wechat_code_invalid"],
    [40163, 400, "wechat_code_invalid"],
    [45011, 429, "too_many_requests"],
    [-1, 502, "wechat_unavailable"],
    [40226, 502, "wechat_unavailable"],
  ])("jscode2session errcode %i → %i %s", async (errcode, status, code) => {
    const wx = fakeWechat();
    wx.logins.set("c", { errcode, errmsg: "refused" });
    const response = await post("/v1/auth/wechat/login", { code: "c" }, { env: wechatEnv(uniqueAppId()) });
    expect(await errorOf(response.clone())).toEqual({ status, code });
    if (status === 429) expect(response.headers.get("Retry-After")).toBe("60");
  });

  it.each([
    [40029, 400, "wechat_code_invalid"],
    [45011, 429, "too_many_requests"],
    [-1, 502, "wechat_unavailable"],
  ])("getuserphonenumber errcode %i → %i %s", async (errcode, status, code) => {
    const wx = fakeWechat();
    wx.phones.set("p", { errcode, errmsg: "refused" });
    expect(await errorOf(await post("/v1/auth/wechat/phone", { phoneCode: "p" }, { env: wechatEnv(uniqueAppId()) }))).toEqual({ status, code });
  });

  it("an unreadable answer or a broken connection is 502 wechat_unavailable", async () => {
    const wx = fakeWechat();
    wx.logins.set("html", new Response("<html>gateway</html>", { status: 200 }));
    wx.logins.set("no-openid", { session_key: "x" });
    wx.logins.set("down", () => {
      throw new TypeError("network down");
    });
    for (const code of ["html", "no-openid", "down"]) {
      expect(await errorOf(await post("/v1/auth/wechat/login", { code }, { env: wechatEnv(uniqueAppId()) })), code).toEqual({
        status: 502,
        code: "wechat_unavailable",
      });
    }
  });

  it("a WeChat that does not answer in time is 502 wechat_unavailable, not a hang", async () => {
    const wx = fakeWechat();
    wx.logins.set("slow", never);
    const env = wechatEnv(uniqueAppId(), { WECHAT_TIMEOUT_MS: "150" });
    const started = Date.now();
    expect(await errorOf(await post("/v1/auth/wechat/login", { code: "slow" }, { env }))).toEqual({ status: 502, code: "wechat_unavailable" });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("without WECHAT_APP_ID or WECHAT_APP_SECRET both routes are 503 wechat_not_configured, and WeChat is not called", async () => {
    const wx = fakeWechat();
    for (const env of [{ WECHAT_APP_ID: "" }, { WECHAT_APP_ID: "wx1", WECHAT_APP_SECRET: "" }]) {
      expect(await errorOf(await post("/v1/auth/wechat/login", { code: "c" }, { env }))).toEqual({ status: 503, code: "wechat_not_configured" });
      expect(await errorOf(await post("/v1/auth/wechat/phone", { phoneCode: "c" }, { env }))).toEqual({ status: 503, code: "wechat_not_configured" });
    }
    expect(wx.requests).toHaveLength(0);
  });

  it("a phone from a country not allowed is 400 country_not_allowed", async () => {
    const wx = fakeWechat();
    wx.phones.set("hk", { errcode: 0, phone_info: { purePhoneNumber: "51234567", countryCode: "852" } });
    expect(await errorOf(await post("/v1/auth/wechat/phone", { phoneCode: "hk" }, { env: wechatEnv(uniqueAppId()) }))).toEqual({
      status: 400,
      code: "country_not_allowed",
    });
  });

  it("bad bodies are 400 invalid_request", async () => {
    fakeWechat();
    const env = wechatEnv(uniqueAppId());
    for (const [path, body] of [
      ["/v1/auth/wechat/login", {}],
      ["/v1/auth/wechat/login", { code: "" }],
      ["/v1/auth/wechat/login", { code: "x".repeat(300) }],
      ["/v1/auth/wechat/phone", { wechatTicket: "x" }],
      ["/v1/auth/wechat/phone", { phoneCode: 5 }],
    ] as const) {
      expect(await errorOf(await post(path, body, { env })), JSON.stringify(body)).toEqual({ status: 400, code: "invalid_request" });
    }
  });

  it("counts against the per-address limit", async () => {
    const wx = fakeWechat();
    wx.logins.set("c", identityAnswer(unique("openid")));
    const ip = uniqueIp();
    const env = wechatEnv(uniqueAppId(), { IP_VERIFICATIONS_PER_HOUR: "2" });
    expect((await post("/v1/auth/wechat/login", { code: "c" }, { env, ip })).status).toBe(200);
    expect((await post("/v1/auth/wechat/phone", { phoneCode: "nope" }, { env, ip })).status).toBe(400);
    const limited = await post("/v1/auth/wechat/login", { code: "c" }, { env, ip });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
  });
});
