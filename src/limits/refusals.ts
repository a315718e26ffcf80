import { ApiError } from "../http/errors/api-error";
import { maskPhone, type Phone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { clientTag } from "./client-key";

/** The answer to a client address over its limit, logged as ip.limited (with a tag, never the address). */
export async function clientLimited(scope: RequestScope, kind: "send" | "verify" | "password", phone: Phone, retryAfterMs: number): Promise<ApiError> {
  scope.log.event("ip.limited", { kind, client: await clientTag(scope.clientIp), phone: maskPhone(phone) });
  return new ApiError("too_many_requests", { retryAfter: retryAfterMs / 1000 });
}
