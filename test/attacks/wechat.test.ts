import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureSms, type ErrorBody, json, post, tamper, uniquePhone } from "../support/helpers";
import { APP_SECRET, fakeWechat, identityAnswer, phoneAnswer, unique, uniqueAppId, wechatEnv } from "../support/wechat";

const sms = captureSms();

afterEach(() => {
  if (vi.isMockFunction(globalThis.fetch)) vi.mocked(globalThis.fetch).mockRestore();
});

async function ticketFor(wx: ReturnType<typeof fakeWechat>, settings: Record<string, unknown>, openid = unique("openid")): Promise<string> {
  const code = unique("login");
  wx.logins.set(code, identityAnswer(openid));
  const response = await post("/v1/auth/wechat/login", { code }, { env: settings });
  return (await json<{ wechatTicket: string }>(response)).wechatTicket;
}

describe("wechatTicket", () => {
  it("parallel uses of one ticket: exactly one signs in, the rest are 401 wechat_ticket_invalid", async () => {
    const wx = fakeWechat();
    const settings = wechatEnv(uniqueAppId());
    const ticket = await ticketFor(wx, settings);
    const phones = Array.from({ length: 10 }, () => uniquePhone());
    for (const [i, phone] of phones.entries()) wx.phones.set(`p${i}`, phoneAnswer(phone));
    const answers = await Promise.all(phones.map((_, i) => post("/v1/auth/wechat/phone", { phoneCode: `p${i}`, wechatTicket: ticket }, { env: settings })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(401)]);
    for (const loser of answers.filter((a) => a.status === 401)) expect((await json<ErrorBody>(loser)).error.code).toBe("wechat_ticket_invalid");
    // The losers never reached WeChat: the ticket is spent before the phone code is exchanged.
    expect(wx.phoneRequestTokens).toHaveLength(1);
  });

  it("is single use: a second use after success is 401", async () => {
    const wx = fakeWechat();
    const settings = wechatEnv(uniqueAppId());
    const ticket = await ticketFor(wx, settings);
    wx.phones.set("a", phoneAnswer(uniquePhone()));
    wx.phones.set("b", phoneAnswer(uniquePhone()));
    expect((await post("/v1/auth/wechat/phone", { phoneCode: "a", wechatTicket: ticket }, { env: settings })).status).toBe(200);
    expect((await post("/v1/auth/wechat/phone", { phoneCode: "b", wechatTicket: ticket }, { env: settings })).status).toBe(401);
  });

  it("is given back when the step fails for a reason that is not the user's (WeChat down), and works on the retry", async () => {
    const wx = fakeWechat();
    const settings = wechatEnv(uniqueAppId());
    const ticket = await ticketFor(wx, settings);
    wx.phones.set("busy", { errcode: -1, errmsg: "system error" });
    wx.phones.set("ok", phoneAnswer(uniquePhone()));
    expect((await post("/v1/auth/wechat/phone", { phoneCode: "busy", wechatTicket: ticket }, { env: settings })).status).toBe(502);
    expect((await post("/v1/auth/wechat/phone", { phoneCode: "ok", wechatTicket: ticket }, { env: settings })).status).toBe(200);
  });

  it("a forged, tampered, truncated or foreign-key ticket is 401 and reaches no upstream", async () => {
    const wx = fakeWechat();
    const settings = wechatEnv(uniqueAppId());
    const ticket = await ticketFor(wx, settings);
    const [version, body, mac] = ticket.split(".");
    const payload = JSON.parse(atob(body!.replaceAll("-", "+").replaceAll("_", "/"))) as Record<string, unknown>;
    const reencoded = btoa(JSON.stringify({ ...payload, x: Date.now() + 3600_000 }))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    const before = wx.requests.length;
    for (const forged of [
      `${version}.${reencoded}.${mac}`,
      `${version}.${body}.${tamper(mac!)}`,
      `${version}.${body}`,
      "wt1..",
      `v1.${body}.${mac}`,
      "x".repeat(900),
    ]) {
      const response = await post("/v1/auth/wechat/phone", { phoneCode: "p", wechatTicket: forged }, { env: settings });
      expect(response.status, forged).toBe(401);
      expect((await json<ErrorBody>(response)).error.code).toBe("wechat_ticket_invalid");
    }
    expect(wx.requests.length).toBe(before);
  });

  it("expires: a ticket older than WECHAT_TICKET_TTL_SECONDS is 401", async () => {
    const wx = fakeWechat();
    const settings = wechatEnv(uniqueAppId());
    const ticket = await ticketFor(wx, settings);
    wx.phones.set("late", phoneAnswer(uniquePhone()));
    vi.useFakeTimers({ now: Date.now() + 301_000, toFake: ["Date"] });
    try {
      expect((await post("/v1/auth/wechat/phone", { phoneCode: "late", wechatTicket: ticket }, { env: settings })).status).toBe(401);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a WeChat identity linked to another user meanwhile is 409 identity_in_use, and nothing is signed in", async () => {
    const wx = fakeWechat();
    const settings = wechatEnv(uniqueAppId());
    const openid = unique("openid");
    const first = await ticketFor(wx, settings, openid);
    const second = await ticketFor(wx, settings, openid);
    wx.phones.set("owner", phoneAnswer(uniquePhone()));
    wx.phones.set("other", phoneAnswer(uniquePhone()));
    expect((await post("/v1/auth/wechat/phone", { phoneCode: "owner", wechatTicket: first }, { env: settings })).status).toBe(200);
    const sessionsBefore = await env.DB.prepare("SELECT COUNT(*) AS n FROM sessions").first<{ n: number }>();
    const response = await post("/v1/auth/wechat/phone", { phoneCode: "other", wechatTicket: second }, { env: settings });
    expect(response.status).toBe(409);
    expect((await json<ErrorBody>(response)).error.code).toBe("identity_in_use");
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM sessions").first<{ n: number }>()).toEqual(sessionsBefore);
  });
});

describe("secrets stay in the Worker", () => {
  it("no session_key, app secret, access token, openid or phone code appears in answers or logs", async () => {
    const wx = fakeWechat();
    const appId = uniqueAppId();
    const settings = wechatEnv(appId);
    const openid = unique("openid");
    wx.logins.set("the-login-code", identityAnswer(openid));
    wx.phones.set("the-phone-code", phoneAnswer(uniquePhone()));
    const login = await post("/v1/auth/wechat/login", { code: "the-login-code" }, { env: settings });
    const loginText = await login.text();
    const { wechatTicket } = JSON.parse(loginText) as { wechatTicket: string };
    const phone = await post("/v1/auth/wechat/phone", { phoneCode: "the-phone-code", wechatTicket }, { env: settings });
    expect(phone.status).toBe(200);
    const seen = `${loginText}\n${await phone.text()}\n${sms.lines.join("\n")}`;
    for (const secret of [`SESSION_KEY_${openid}`, APP_SECRET, `ACCESS_TOKEN_${appId}`, openid, "the-login-code", "the-phone-code"]) {
      expect(seen, secret).not.toContain(secret);
    }
  });
});
