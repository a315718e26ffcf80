import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import { budgetPool } from "../limits/budget-pool";
import { hitClient } from "../limits/client-limits";
import { phoneGuard } from "../limits/stubs";
import { maskPhone, numberRange, type Phone } from "../phone/phone";
import { randomDigits } from "../platform/crypto";
import { withoutFields } from "../platform/log";
import type { RequestScope } from "../platform/scope";
import { deliver } from "../sms/deliver";
import { resolveSenders } from "../sms/registry";
import { SmsThrottledError } from "../sms/throttle";
import type { SmsDeliveryError } from "../sms/types";
import type { Purpose } from "./purpose";
import { boundTo, codeKey, storedCode } from "./storage";
import { testNumberCode } from "./test-numbers";

export interface IssueOptions {
  /**
   * false for a reset to a number with no account: every limit applies, it is charged like a real
   * send (the budget, the range's statistics, the address's limits) and the answer is the same,
   * but no SMS is sent and a decoy code is stored in its place.
   */
  deliver: boolean;
  /** The user the code is for (change_phone, reauthenticate): only that user's session can spend it. */
  subject?: string;
}

/**
 * Issues a code: the caller's address first (its layers, in parallel: an address over its limit
 * reaches no shared object), then the phone (cooldown / daily cap / lock / range block) and the
 * daily budget together. Then the code's hash goes to KV, and only then is the SMS sent: a failed
 * KV write sends nothing and gives every limit back; an SMS that no provider accepts leaves a
 * stored code the phone's Durable Object no longer counts as current (cancelSend), so a code no
 * SMS carried is never valid. Once a provider has accepted the message, nothing is given back.
 *
 * A reset (purpose reset_password) is stored before the answer and sent in the background
 * (waitUntil): its answer, and its timing, must be the same whether or not the number has an
 * account, so neither the provider's latency nor its errors may show in it; and since it is
 * stored first, the code verifies the moment the SMS arrives.
 */
export async function issueCode(scope: RequestScope, phone: Phone, purpose: Purpose, options: IssueOptions): Promise<{ expiresIn: number; resendIn: number }> {
  const { env, config } = scope;
  const fixedCode = testNumberCode(scope, phone);
  // Charged like a real send: every code but a test number's, a decoy included (issue 10: locking
  // a number out, or probing whether it has an account, costs what a real send costs).
  const charged = fixedCode === undefined;
  const sendsSms = options.deliver && charged;
  // Resolved before any limit is taken, so a misconfigured provider costs users nothing; also for
  // a reset to an unknown number, which must answer 503 exactly like a known one would.
  const senders = charged ? resolveSenders(env, config.SMS_PROVIDER, scope.log) : [];

  await hitClient(scope, "send", phone);

  const guard = phoneGuard(env, phone);
  // This isolate's share of the daily budget: a call per SMS, or none while it holds a leased block.
  const budget = budgetPool(scope);
  // Two independent objects, asked in parallel: one round trip. allSettled, not all: if one call
  // throws (an overloaded object), what the other took is still given back before the error propagates.
  const key = codeKey(purpose, phone.e164);
  const [reservedCall, spentCall] = await Promise.allSettled([
    guard.reserve(phone.e164, purpose, { countForRange: charged, decoy: !options.deliver }),
    charged ? budget.take(scope.defer) : undefined,
  ]);
  const reserved = reservedCall.status === "fulfilled" ? reservedCall.value : undefined;
  const spent = spentCall.status === "fulfilled" ? spentCall.value : undefined;

  // Gives back whatever was taken: the cooldown and count, the range's send (and a range block
  // that send tripped), the budget's SMS. Only ever before a provider accepted the message.
  // `keepCooldown`: all of that but the phone's cooldown and count (a provider's throttle).
  const giveBack = async (keepCooldown = false) => {
    await Promise.all([
      reserved?.ok ? guard.cancelSend(phone.e164, reserved.codeId, { countedForRange: charged, keepCooldown }) : undefined,
      spent?.ok ? budget.giveBack(spent) : undefined,
    ]);
  };

  if (reservedCall.status === "rejected" || spentCall.status === "rejected") {
    await giveBack().catch(() => {});
    throw [reservedCall, spentCall].flatMap((call) => (call.status === "rejected" ? [call.reason] : []))[0];
  }
  const reservation = reservedCall.value;
  // A day that starts spent (e.g. the budget was lowered) alerts at its first refusal.
  if (spent && !spent.ok && spent.alertNow) alertBudget(scope);
  if (!reservation.ok) {
    if (reservation.reason === "range_blocked") scope.log.event("prefix.refused", { range: numberRange(phone) });
    await giveBack();
    throw new ApiError("too_many_requests", { retryAfter: reservation.retryAfterMs / 1000 });
  }
  if (spent && !spent.ok) {
    await giveBack();
    throw new ApiError("sms_budget_exhausted", { retryAfter: spent.retryAfterMs / 1000 });
  }

  // The stored code this send replaces, if the phone had one: if no provider accepts the new SMS,
  // the previous, delivered code is put back, as the object makes it current again. Read only
  // then (a resend within the code's life), not on every send: a first send saves a KV read.
  const previous = reservation.replacesCode ? await env.CODES.get(key).catch(() => null) : null;

  // Stored first. The KV entry expires with the code (KV's minimum expirationTtl is 60 s; the
  // config refuses a shorter CODE_TTL_SECONDS). The Durable Object keeps the authoritative expiry.
  // It names the provider meant to carry it (verifications are counted per provider); a failover
  // to another provider rewrites it below, the rare path.
  const code = fixedCode ?? randomDigits(config.CODE_LENGTH);
  const intended = sendsSms ? senders[0]?.name : undefined;
  const store = async (provider: string | undefined) =>
    env.CODES.put(key, await storedCode(config.AUTH_SECRET, reservation.codeId, boundTo(phone.e164, options.subject), purpose, code, provider), {
      expirationTtl: config.CODE_TTL_SECONDS,
    });
  try {
    await store(intended);
  } catch (error) {
    await giveBack();
    throw error;
  }

  // The request that blocks a range logs the range: its other lines carry no masked phone, or
  // the two together would give the full number (the range holds exactly the digits the mask hides).
  const log = reservation.rangeBlockedNow ? withoutFields(scope.log, ["phone"]) : scope.log;
  const send = async () => {
    if (sendsSms) {
      const message = { to: phone, purpose, code, expiresInSeconds: config.CODE_TTL_SECONDS };
      const onFailure = (failure: SmsDeliveryError) =>
        publish(scope, { type: "sms.failed", phone, purpose, provider: failure.provider, providerCode: failure.providerCode, kind: failure.kind });
      let provider: string;
      try {
        provider = (await deliver(senders, message, config.SMS_TIMEOUT_MS, log, onFailure)).provider;
      } catch (error) {
        // No provider accepted it: the stored code is voided (the object restores the previous
        // one as current), the cooldown, count, range send and budget are given back. A
        // provider's per-number throttle (429) delivered nothing either, but the cooldown stays:
        // the provider said slow down.
        await giveBack(error instanceof SmsThrottledError);
        // Best effort (KV takes one write a second per key): without it the previous code is
        // merely unusable, never the undelivered one usable.
        if (previous !== null) await env.CODES.put(key, previous, { expirationTtl: config.CODE_TTL_SECONDS }).catch(() => {});
        throw error;
      }
      // Accepted: from here on nothing of this send is given back.
      publish(scope, { type: "code.sent", phone, purpose, provider });
      // Best effort, and only after a failover: the code itself is already stored and usable.
      if (provider !== intended) await store(provider).catch((error: unknown) => log.error("code.store_failed", error));
    } else if (fixedCode !== undefined) {
      log.event("code.sent", { provider: "test_number", phone: maskPhone(phone), purpose });
    }
    if (reservation.rangeBlockedNow) {
      log.event("prefix.blocked", { range: numberRange(phone) });
      publish(scope, { type: "prefix.blocked", range: numberRange(phone) });
    }
    if (spent?.alertNow) alertBudget(scope);
  };

  if (purpose === "reset_password") scope.defer(send());
  else await send();
  return { expiresIn: config.CODE_TTL_SECONDS, resendIn: config.RESEND_INTERVAL_SECONDS };
}

function alertBudget(scope: RequestScope): void {
  scope.log.event("budget.exhausted", { budget: scope.config.DAILY_SMS_BUDGET });
  publish(scope, { type: "budget.exhausted", budget: scope.config.DAILY_SMS_BUDGET });
}
