import { numberRange, type Phone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { clientKey } from "./client-key";

/** The Durable Object holding a phone's state: one per number range (see phone-guard.ts for why). */
export function phoneGuard(env: Env, phone: Phone) {
  return env.PHONE_GUARD.get(env.PHONE_GUARD.idFromName(numberRange(phone)));
}

/** The Durable Object counting the caller's address (an IPv4 address or an IPv6 /64). */
export function clientGuard(scope: RequestScope) {
  const key = clientKey(scope.clientIp);
  return scope.env.CLIENT_GUARD.get(scope.env.CLIENT_GUARD.idFromName(key));
}

/** The deployment's one daily SMS budget. */
export function smsBudget(env: Env) {
  return env.SMS_BUDGET.get(env.SMS_BUDGET.idFromName("global"));
}
