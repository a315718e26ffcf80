/**
 * WeChat's server APIs over plain fetch (no SDK): jscode2session, the stable access token and
 * getuserphonenumber. Every call answers a plain result (never throws), so it travels unchanged
 * out of the access-token Durable Object; src/wechat/errors.ts turns failures into API errors.
 * Nothing here logs: the answers carry session_key and access tokens, which never leave this file
 * except the access token, which goes only to the Durable Object's memory and back into a URL.
 */
import * as z from "zod/mini";

export interface WechatSettings {
  appId: string;
  secret: string;
  base: string;
  timeoutMs: number;
}

/** WeChat's own errcode, or what went wrong on the way: no answer in time, no answer, no JSON. */
export type WechatFailure = { ok: false; errcode: number | "timeout" | "network_error" | "unreadable_answer" };
export type WechatResult<T> = { ok: true; value: T } | WechatFailure;

async function exchange(url: string, init: RequestInit, timeoutMs: number): Promise<WechatResult<Record<string, unknown>>> {
  const signal = AbortSignal.timeout(timeoutMs);
  let text: string;
  try {
    // `fetch` is looked up on each call so tests can intercept it. Errors thrown by fetch are
    // replaced, not wrapped: their messages may quote the URL, which carries the secret or token.
    const response = await fetch(url, { ...init, signal });
    text = await response.text();
  } catch {
    return { ok: false, errcode: signal.aborted ? "timeout" : "network_error" };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, errcode: "unreadable_answer" };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { ok: false, errcode: "unreadable_answer" };
  const body = json as Record<string, unknown>;
  // Success answers carry errcode 0 or none at all (jscode2session, stable_token).
  if (typeof body.errcode === "number" && body.errcode !== 0) return { ok: false, errcode: body.errcode };
  return { ok: true, value: body };
}

const sessionAnswer = z.object({
  openid: z.string().check(z.minLength(1), z.maxLength(128)),
  unionid: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
});

export interface WechatIdentity {
  openid: string;
  unionid?: string;
}

/** GET /sns/jscode2session: the code from wx.login() → openid (and unionid). session_key is read past and dropped. */
export async function codeToSession(settings: WechatSettings, code: string): Promise<WechatResult<WechatIdentity>> {
  const query = new URLSearchParams({ appid: settings.appId, secret: settings.secret, js_code: code, grant_type: "authorization_code" });
  const answer = await exchange(`${settings.base}/sns/jscode2session?${query}`, { method: "GET" }, settings.timeoutMs);
  if (!answer.ok) return answer;
  const parsed = sessionAnswer.safeParse(answer.value);
  if (!parsed.success) return { ok: false, errcode: "unreadable_answer" };
  return { ok: true, value: parsed.data.unionid ? { openid: parsed.data.openid, unionid: parsed.data.unionid } : { openid: parsed.data.openid } };
}

const tokenAnswer = z.object({ access_token: z.string().check(z.minLength(1)), expires_in: z.number().check(z.int(), z.positive()) });

/** POST /cgi-bin/stable_token: the app's access token; `forceRefresh` asks for a new one even if the current one is still valid. */
export async function stableToken(settings: WechatSettings, forceRefresh: boolean): Promise<WechatResult<{ token: string; expiresIn: number }>> {
  const body = JSON.stringify({ grant_type: "client_credential", appid: settings.appId, secret: settings.secret, force_refresh: forceRefresh });
  const answer = await exchange(
    `${settings.base}/cgi-bin/stable_token`,
    { method: "POST", headers: { "content-type": "application/json" }, body },
    settings.timeoutMs,
  );
  if (!answer.ok) return answer;
  const parsed = tokenAnswer.safeParse(answer.value);
  if (!parsed.success) return { ok: false, errcode: "unreadable_answer" };
  return { ok: true, value: { token: parsed.data.access_token, expiresIn: parsed.data.expires_in } };
}

const phoneAnswer = z.object({
  phone_info: z.object({
    purePhoneNumber: z.string().check(z.minLength(1), z.maxLength(32)),
    countryCode: z.pipe(z.union([z.string(), z.number()]), z.transform(String)),
    watermark: z.optional(z.partial(z.object({ appid: z.string() }))),
  }),
});

export interface WechatPhone {
  purePhoneNumber: string;
  countryCode: string;
  /** The app the number was issued to, when WeChat says (watermark.appid). */
  appId?: string;
}

/** POST /wxa/business/getuserphonenumber: the code from the getPhoneNumber button → the user's phone. */
export async function phoneNumber(settings: WechatSettings, accessToken: string, phoneCode: string): Promise<WechatResult<WechatPhone>> {
  const answer = await exchange(
    `${settings.base}/wxa/business/getuserphonenumber?access_token=${encodeURIComponent(accessToken)}`,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code: phoneCode }) },
    settings.timeoutMs,
  );
  if (!answer.ok) return answer;
  const parsed = phoneAnswer.safeParse(answer.value);
  if (!parsed.success) return { ok: false, errcode: "unreadable_answer" };
  const info = parsed.data.phone_info;
  return { ok: true, value: { purePhoneNumber: info.purePhoneNumber, countryCode: info.countryCode, appId: info.watermark?.appid } };
}

/** The access token was refused as invalid (40001, 40014) or expired (42001): worth one forced refresh. */
export function isStaleTokenError(failure: WechatFailure): boolean {
  return failure.errcode === 40001 || failure.errcode === 40014 || failure.errcode === 42001;
}
