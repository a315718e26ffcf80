import { ApiError } from "../http/errors/api-error";
import type { Config } from "../platform/config";
import type { RequestScope } from "../platform/scope";
import { isStaleTokenError, type WechatResult, type WechatSettings } from "./api";
import { wechatError } from "./errors";

/** The WeChat settings, or 503 wechat_not_configured when the app id or secret is missing. */
export function wechatSettingsOf(config: Config): WechatSettings {
  const { WECHAT_APP_ID: appId, WECHAT_APP_SECRET: secret, WECHAT_API_BASE: base, WECHAT_TIMEOUT_MS: timeoutMs } = config;
  if (!appId || !secret) throw new ApiError("wechat_not_configured");
  return { appId, secret, base, timeoutMs };
}

function tokenObject(scope: RequestScope, appId: string) {
  return scope.env.WECHAT_ACCESS_TOKEN.get(scope.env.WECHAT_ACCESS_TOKEN.idFromName(`wechat:${appId}`));
}

/**
 * Runs `call` with the app's access token from the shared Durable Object. If WeChat refuses the
 * token as invalid or expired (40001, 40014, 42001: rotated elsewhere, or revoked), the object is
 * told so, fetches a new one with force_refresh (once, for all callers that saw the same token)
 * and the call is made once more. A second refusal is WeChat's problem: 502.
 */
export async function withAccessToken<T>(
  scope: RequestScope,
  settings: WechatSettings,
  call: (token: string) => Promise<WechatResult<T>>,
): Promise<WechatResult<T>> {
  const store = tokenObject(scope, settings.appId);
  const first = await store.token(settings);
  if (!first.ok) throw wechatError(scope, "stable_token", first);
  const answer = await call(first.value);
  if (answer.ok || !isStaleTokenError(answer)) return answer;
  scope.log.event("wechat.token_refused", { errcode: String(answer.errcode) });
  const fresh = await store.token(settings, first.value);
  if (!fresh.ok) throw wechatError(scope, "stable_token", fresh);
  return call(fresh.value);
}
