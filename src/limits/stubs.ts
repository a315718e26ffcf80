import { numberRange, type Phone } from "../phone/phone";

/** The Durable Object holding a phone's state: one per number range (see phone-guard.ts for why). */
export function phoneGuard(env: Env, phone: Phone) {
  return env.PHONE_GUARD.get(env.PHONE_GUARD.idFromName(numberRange(phone)));
}

// The caller's address's ClientGuards (one per layer) are asked through client-limits.ts.

/** The deployment's one daily SMS budget. */
export function smsBudget(env: Env) {
  return env.SMS_BUDGET.get(env.SMS_BUDGET.idFromName("global"));
}
