import { ApiError } from "../http/errors/api-error";
import type { RequestScope } from "../platform/scope";
import type { WechatFailure } from "./api";

/** WeChat's "minute quota" refusal (45011) lasts until the minute is over. */
const RATE_LIMIT_RETRY_SECONDS = 60;

/**
 * What a WeChat failure means for our caller. The code from wx.login() or the getPhoneNumber button
 * was refused (40029 invalid, 40163 already used) → 400 wechat_code_invalid: get a new one and try
 * again. WeChat's rate limit (45011) → 429 with Retry-After. Anything else (-1 system busy, a
 * timeout, an unreadable answer, a refused app secret or IP whitelist) → 502 wechat_unavailable.
 * The log line names the step and WeChat's errcode only: never the code, token or answer body.
 */
export function wechatError(scope: RequestScope, step: "jscode2session" | "stable_token" | "getuserphonenumber", failure: WechatFailure): ApiError {
  scope.log.event("wechat.failed", { step, errcode: String(failure.errcode) });
  switch (failure.errcode) {
    case 40029:
    case 40163:
      return new ApiError("wechat_code_invalid");
    case 45011:
      return new ApiError("too_many_requests", { retryAfter: RATE_LIMIT_RETRY_SECONDS });
    default:
      return new ApiError("wechat_unavailable");
  }
}
