import type { Db } from "../db/client";
import { ApiError } from "../http/errors/api-error";
import { type CarrierToken, mobileOfToken, parseDypnsCredentials } from "../one-tap/dypns";
import { parsePhone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { countAgainstClient } from "./proof-limits";
import { type SignedIn, signInWithVerifiedPhone } from "./sign-in";

/** How long to wait out Aliyun's throttling before trying again. */
const THROTTLED_RETRY_SECONDS = 60;

/**
 * Carrier one-tap ("本机号码一键登录"): the carrier vouches for the SIM's number through Aliyun, and
 * that number signs in or registers like a spent SMS code would (no SMS sent). A refused token is
 * 400 one_tap_token_invalid with `fallback: "sms"`, so the app offers a code instead.
 */
export async function oneTapSignIn(scope: RequestScope, db: Db, token: CarrierToken): Promise<SignedIn & { isNewUser: boolean }> {
  const { config } = scope;
  const parsed = parseDypnsCredentials(scope.env as unknown as Record<string, unknown>);
  if (!parsed.ok) {
    scope.log.event("one_tap.not_configured", { problems: parsed.problems.join("; ") });
    throw new ApiError("one_tap_not_configured");
  }
  await countAgainstClient(scope, "one_tap");
  const answer = await mobileOfToken(config.ALIYUN_DYPNS_ENDPOINT, parsed.credentials, token, config.ONE_TAP_TIMEOUT_MS);
  if (!answer.ok) {
    scope.log.event("one_tap.failed", { kind: answer.kind, code: answer.code, requestId: answer.requestId });
    if (answer.kind === "token_refused") throw new ApiError("one_tap_token_invalid", { fallback: "sms" });
    if (answer.kind === "throttled") throw new ApiError("too_many_requests", { retryAfter: THROTTLED_RETRY_SECONDS });
    throw new ApiError("one_tap_unavailable");
  }
  const phone = parsePhone(answer.mobile);
  if (!config.ALLOWED_COUNTRIES.includes(phone.country)) throw new ApiError("country_not_allowed");
  return signInWithVerifiedPhone(scope, db, phone, "one_tap");
}
