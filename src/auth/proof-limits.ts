import { ApiError } from "../http/errors/api-error";
import { clientTag } from "../limits/client-key";
import { clientGuard } from "../limits/stubs";
import type { RequestScope } from "../platform/scope";

/**
 * Every WeChat, one-tap and linked-identity route counts against the caller's address like a code
 * check does (the "verify" count, IP_VERIFICATIONS_PER_HOUR): each one makes us call WeChat or
 * Aliyun (paid, rate-limited per app) or reads the account, so one address cannot spray them.
 * Over the limit: 429 too_many_requests with Retry-After, logged as ip.limited with a tag of the
 * address, never the address.
 */
export async function countAgainstClient(scope: RequestScope, kind: "wechat" | "one_tap" | "identities"): Promise<void> {
  const hit = await clientGuard(scope).hit("verify", scope.config.IP_VERIFICATIONS_PER_HOUR);
  if (hit.ok) return;
  scope.log.event("ip.limited", { kind, client: await clientTag(scope.clientIp) });
  throw new ApiError("too_many_requests", { retryAfter: hit.retryAfterMs / 1000 });
}
