/**
 * A stand-in for WeChat's servers, answering the Worker's intercepted fetches by path: wx.login()
 * codes map to identities, getPhoneNumber codes to phones, and stable_token hands out numbered
 * tokens. Every request is kept so tests can check what was sent (and what was not).
 */
import { interceptFetch, json } from "./intercept";

export const WECHAT_BASE = "https://wechat.test";
export const APP_SECRET = "wx-app-secret-0123456789abcdef";

let appCounter = 0;
/** A fresh app id per call: each app has its own access-token object, so cache tests do not mix. */
export function uniqueAppId(): string {
  appCounter += 1;
  return `wx${Date.now().toString(16)}${appCounter}`;
}

export function wechatEnv(appId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { WECHAT_APP_ID: appId, WECHAT_APP_SECRET: APP_SECRET, WECHAT_API_BASE: WECHAT_BASE, ...extra };
}

export type Reply = Record<string, unknown> | Response | ((request: Request) => Response | Promise<Response>);

export interface FakeWechat {
  /** wx.login() code → jscode2session answer (an identity, or an errcode body). */
  logins: Map<string, Reply>;
  /** getPhoneNumber code → getuserphonenumber answer. */
  phones: Map<string, Reply>;
  /** Access tokens WeChat no longer accepts (answered 40001). */
  refusedTokens: Set<string>;
  /** Each stable_token request's JSON body. */
  tokenRequests: Record<string, unknown>[];
  /** The access token of each getuserphonenumber request. */
  phoneRequestTokens: string[];
  requests: Request[];
  tokenDelayMs: number;
}

let serial = 0;
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++serial}`;

export function fakeWechat(): FakeWechat {
  const fake: FakeWechat = {
    logins: new Map(),
    phones: new Map(),
    refusedTokens: new Set(),
    tokenRequests: [],
    phoneRequestTokens: [],
    requests: [],
    tokenDelayMs: 0,
  };
  let current: Request;
  const answer = async (reply: Reply | undefined, fallback: Record<string, unknown>) => {
    if (reply === undefined) return json(fallback);
    if (reply instanceof Response) return reply.clone();
    if (typeof reply === "function") return reply(current);
    return json(reply);
  };
  const { requests } = interceptFetch(async (request) => {
    current = request;
    const url = new URL(request.url);
    if (url.origin !== WECHAT_BASE) return new Response("unexpected upstream", { status: 599 });
    if (url.pathname === "/sns/jscode2session") {
      return answer(fake.logins.get(url.searchParams.get("js_code") ?? ""), { errcode: 40029, errmsg: "invalid code" });
    }
    if (url.pathname === "/cgi-bin/stable_token") {
      const body = (await request.json()) as Record<string, unknown>;
      fake.tokenRequests.push(body);
      const n = fake.tokenRequests.length;
      if (fake.tokenDelayMs) await new Promise((resolve) => setTimeout(resolve, fake.tokenDelayMs));
      return json({ access_token: `ACCESS_TOKEN_${String(body.appid)}_${n}`, expires_in: 7200 });
    }
    if (url.pathname === "/wxa/business/getuserphonenumber") {
      const token = url.searchParams.get("access_token") ?? "";
      fake.phoneRequestTokens.push(token);
      if (fake.refusedTokens.has(token)) return json({ errcode: 40001, errmsg: "invalid credential, access_token is invalid or not latest" });
      const { code } = (await request.json()) as { code: string };
      return answer(fake.phones.get(code), { errcode: 40029, errmsg: "invalid code" });
    }
    return new Response("not found", { status: 404 });
  });
  fake.requests = requests;
  return fake;
}

/** The getuserphonenumber answer for a mainland E.164 number. */
export function phoneAnswer(e164: string, appId?: string): Record<string, unknown> {
  const pure = e164.replace(/^\+86/, "");
  return {
    errcode: 0,
    errmsg: "ok",
    phone_info: {
      phoneNumber: pure,
      purePhoneNumber: pure,
      countryCode: "86",
      watermark: { timestamp: Math.floor(Date.now() / 1000), ...(appId ? { appid: appId } : {}) },
    },
  };
}

export function identityAnswer(openid: string, unionid?: string): Record<string, unknown> {
  return { openid, session_key: `SESSION_KEY_${openid}`, ...(unionid ? { unionid } : {}) };
}

/** A reply that never comes: rejects only when the Worker gives up (its abort signal), as workerd's fetch does. */
export function never(request: Request): Promise<Response> {
  return new Promise<Response>((_resolve, reject) => {
    if (request.signal.aborted) reject(request.signal.reason);
    request.signal.addEventListener("abort", () => reject(request.signal.reason));
  });
}
