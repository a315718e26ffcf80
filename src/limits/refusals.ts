import { ApiError } from "../http/errors/api-error";
import { maskPhone, type Phone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { type ClientLayer, clientTag } from "./client-key";

/**
 * The answer to a client address over its limit, logged as ip.limited: the layer that refused and
 * a keyed tag of its key (src/limits/client-key.ts), never the address.
 */
/** What the refused request was, as the log names it. */
export type LimitedKind = "send" | "verify" | "password" | "wechat" | "one_tap" | "identities" | "admin";

export async function clientLimited(
  scope: RequestScope,
  kind: LimitedKind,
  /** The phone the request was about, if any (masked in the log). */
  phone: Phone | undefined,
  retryAfterMs: number,
  layer: ClientLayer,
): Promise<ApiError> {
  const client = await clientTag(scope.config.AUTH_SECRET, layer.key);
  scope.log.event("ip.limited", { kind, layer: layer.layer, client, ...(phone ? { phone: maskPhone(phone) } : {}) });
  return new ApiError("too_many_requests", { retryAfter: retryAfterMs / 1000 });
}
