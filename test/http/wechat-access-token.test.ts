import { afterEach, describe, expect, it, vi } from "vitest";
import { captureSms, json, post, uniquePhone } from "../support/helpers";
import { fakeWechat, phoneAnswer, uniqueAppId, wechatEnv } from "../support/wechat";

const sms = captureSms();

afterEach(() => {
  if (vi.isMockFunction(globalThis.fetch)) vi.mocked(globalThis.fetch).mockRestore();
});

/** A getuserphonenumber code for a fresh number. */
function phoneCode(wx: ReturnType<typeof fakeWechat>, code: string): string {
  wx.phones.set(code, phoneAnswer(uniquePhone()));
  return code;
}

describe("the WeChat app access token", () => {
  it("is fetched once from /cgi-bin/stable_token (client_credential, not forced) and reused by later calls", async () => {
    const wx = fakeWechat();
    const appId = uniqueAppId();
    const env = wechatEnv(appId);
    for (const code of ["a", "b", "c"]) expect((await post("/v1/auth/wechat/phone", { phoneCode: phoneCode(wx, code) }, { env })).status).toBe(200);
    expect(wx.tokenRequests).toEqual([{ grant_type: "client_credential", appid: appId, secret: "wx-app-secret-0123456789abcdef", force_refresh: false }]);
    expect(wx.phoneRequestTokens).toEqual([`ACCESS_TOKEN_${appId}_1`, `ACCESS_TOKEN_${appId}_1`, `ACCESS_TOKEN_${appId}_1`]);
    // POSTed as JSON to the stable variant.
    const tokenRequest = wx.requests.find((r) => new URL(r.url).pathname === "/cgi-bin/stable_token")!;
    expect(tokenRequest.method).toBe("POST");
  });

  it("is fetched once at a time: parallel first calls share one fetch", async () => {
    const wx = fakeWechat();
    wx.tokenDelayMs = 100;
    const env = wechatEnv(uniqueAppId());
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post("/v1/auth/wechat/phone", { phoneCode: phoneCode(wx, `p${i}`) }, { env })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(wx.tokenRequests).toHaveLength(1);
  });

  it("on 40001 is refetched once with force_refresh and the call retried; later calls use the new token", async () => {
    const wx = fakeWechat();
    const appId = uniqueAppId();
    const env = wechatEnv(appId);
    expect((await post("/v1/auth/wechat/phone", { phoneCode: phoneCode(wx, "x1") }, { env })).status).toBe(200);
    wx.refusedTokens.add(`ACCESS_TOKEN_${appId}_1`);
    expect((await post("/v1/auth/wechat/phone", { phoneCode: phoneCode(wx, "x2") }, { env })).status).toBe(200);
    expect((await post("/v1/auth/wechat/phone", { phoneCode: phoneCode(wx, "x3") }, { env })).status).toBe(200);
    expect(wx.tokenRequests.map((r) => r.force_refresh)).toEqual([false, true]);
    expect(wx.phoneRequestTokens).toEqual([`ACCESS_TOKEN_${appId}_1`, `ACCESS_TOKEN_${appId}_1`, `ACCESS_TOKEN_${appId}_2`, `ACCESS_TOKEN_${appId}_2`]);
  });

  it("parallel callers that all see the token refused cause one forced refresh, not one each", async () => {
    const wx = fakeWechat();
    const appId = uniqueAppId();
    const env = wechatEnv(appId);
    expect((await post("/v1/auth/wechat/phone", { phoneCode: phoneCode(wx, "y0") }, { env })).status).toBe(200);
    wx.refusedTokens.add(`ACCESS_TOKEN_${appId}_1`);
    wx.tokenDelayMs = 50;
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => post("/v1/auth/wechat/phone", { phoneCode: phoneCode(wx, `y${i + 1}`) }, { env })));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    expect(wx.tokenRequests.map((r) => r.force_refresh)).toEqual([false, true]);
  });

  it("a token refused again after the forced refresh is 502 wechat_unavailable (one retry, no loop)", async () => {
    const wx = fakeWechat();
    const appId = uniqueAppId();
    const env = wechatEnv(appId);
    wx.refusedTokens.add(`ACCESS_TOKEN_${appId}_1`);
    wx.refusedTokens.add(`ACCESS_TOKEN_${appId}_2`);
    const response = await post("/v1/auth/wechat/phone", { phoneCode: phoneCode(wx, "z") }, { env });
    expect(response.status).toBe(502);
    expect((await json<{ error: { code: string } }>(response)).error.code).toBe("wechat_unavailable");
    expect(wx.tokenRequests).toHaveLength(2);
    expect(wx.phoneRequestTokens).toHaveLength(2);
  });

  it("a stable_token refusal (e.g. a wrong secret, 40125) is 502 wechat_unavailable and names neither secret nor token in logs or answer", async () => {
    const wx = fakeWechat();
    vi.mocked(globalThis.fetch).mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      wx.requests.push(request);
      return new Response(JSON.stringify({ errcode: 40125, errmsg: "invalid appsecret" }), { status: 200 });
    });
    const response = await post("/v1/auth/wechat/phone", { phoneCode: "secret-phone-code" }, { env: wechatEnv(uniqueAppId()) });
    expect(response.status).toBe(502);
    const text = await response.text();
    const logged = sms.lines.join("\n");
    for (const secret of ["wx-app-secret-0123456789abcdef", "secret-phone-code"]) {
      expect(text).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    expect(sms.events().some((e) => e.event === "wechat.failed" && e.step === "stable_token" && e.errcode === "40125")).toBe(true);
  });
});
