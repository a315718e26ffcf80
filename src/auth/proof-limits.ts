import { hitClient } from "../limits/client-limits";
import type { RequestScope } from "../platform/scope";

/**
 * Every WeChat, one-tap and linked-identity route counts against the caller's address like a code
 * check does (the "verify" count, IP_VERIFICATIONS_PER_HOUR): each one makes us call WeChat or
 * Aliyun (paid, rate-limited per app) or reads the account, so one address cannot spray them.
 * Over the limit: 429 too_many_requests with Retry-After, logged as ip.limited with a tag of the
 * address, never the address.
 */
export async function countAgainstClient(scope: RequestScope, kind: "wechat" | "one_tap" | "identities"): Promise<void> {
  await hitClient(scope, "verify", undefined, kind);
}
