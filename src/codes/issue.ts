import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import type { ReserveResult } from "../limits/phone-guard";
import { clientLimited } from "../limits/refusals";
import { clientGuard, phoneGuard, smsBudget } from "../limits/stubs";
import { maskPhone, numberRange, type Phone } from "../phone/phone";
import { randomDigits } from "../platform/crypto";
import type { RequestScope } from "../platform/scope";
import { deliver } from "../sms/deliver";
import { resolveSenders } from "../sms/registry";
import { SmsThrottledError } from "../sms/throttle";
import type { SmsDeliveryError } from "../sms/types";
import type { Purpose } from "./purpose";
import { codeKey, storedCode } from "./storage";
import { testNumberCode } from "./test-numbers";

function limitError(result: Extract<ReserveResult, { ok: false }>): ApiError {
  return new ApiError("too_many_requests", { retryAfter: result.retryAfterMs / 1000 });
}

export interface IssueOptions {
  /**
   * false for a reset to a number with no account: every limit applies and the answer is the
   * same, but no SMS is sent (no enumeration, no cost) and a decoy code is stored in its place.
   */
  deliver: boolean;
}

/**
 * Issues a code: limits first (phone cooldown / daily cap / lock / range block, client address,
 * daily budget, all asked at once), then the SMS, and only once the SMS is accepted the code's
 * hash goes to KV. Any failure after the limits were taken gives them back, so a code that no SMS
 * carried is never valid and a failed send costs the user no cooldown.
 *
 * A reset (purpose reset_password) answers as soon as the limits are taken and sends in the
 * background (waitUntil): its answer, and its timing, must be the same whether or not the number
 * has an account, so neither the provider's latency nor its errors may show in it.
 */
export async function issueCode(scope: RequestScope, phone: Phone, purpose: Purpose, options: IssueOptions): Promise<{ expiresIn: number; resendIn: number }> {
  const { env, config, log } = scope;
  const fixedCode = testNumberCode(scope, phone);
  const paid = options.deliver && fixedCode === undefined;
  // Resolved before any limit is taken, so a misconfigured provider costs users nothing; also for
  // a reset to an unknown number, which must answer 503 exactly like a known one would.
  const senders = fixedCode === undefined ? resolveSenders(env, config.SMS_PROVIDER, log) : [];

  const guard = phoneGuard(env, phone);
  const budget = smsBudget(env);
  // Three independent objects, asked in parallel: one round trip of latency. Refusals are rare
  // and pay for the compensating calls below. allSettled, not all: if one call throws (an
  // overloaded object), what the others took is still given back before the error propagates.
  const [reservedCall, clientCall, spentCall] = await Promise.allSettled([
    guard.reserve(phone.e164, purpose, { countForRange: paid, decoy: !options.deliver }),
    clientGuard(scope).hit("send", config.IP_SENDS_PER_HOUR),
    paid ? budget.spend(config.DAILY_SMS_BUDGET) : fixedCode === undefined ? budget.check(config.DAILY_SMS_BUDGET) : undefined,
  ]);
  const reserved = reservedCall.status === "fulfilled" ? reservedCall.value : undefined;
  const spent = spentCall.status === "fulfilled" ? spentCall.value : undefined;

  // Gives back whatever was taken: the cooldown and count, the range's send (and a range block
  // that send tripped), the budget's SMS. `keepCooldown`: all of that but the cooldown and count.
  const giveBack = async (keepCooldown = false) => {
    await Promise.all([
      reserved?.ok ? guard.cancelSend(phone.e164, reserved.codeId, { countedForRange: paid, keepCooldown }) : undefined,
      spent?.ok && paid ? budget.refund(config.DAILY_SMS_BUDGET) : undefined,
    ]);
  };

  if (reservedCall.status === "rejected" || clientCall.status === "rejected" || spentCall.status === "rejected") {
    await giveBack().catch(() => {});
    throw [reservedCall, clientCall, spentCall].flatMap((call) => (call.status === "rejected" ? [call.reason] : []))[0];
  }
  const client = clientCall.value;
  const reservation = reservedCall.value;
  // A day that starts spent (e.g. the budget was lowered) alerts at its first refusal.
  if (spent && !spent.ok && spent.alertNow) {
    log.event("budget.exhausted", { budget: config.DAILY_SMS_BUDGET });
    publish(scope, { type: "budget.exhausted", budget: config.DAILY_SMS_BUDGET });
  }

  if (!client.ok) {
    await giveBack();
    throw await clientLimited(scope, "send", phone, client.retryAfterMs);
  }
  if (!reservation.ok) {
    if (reservation.reason === "range_blocked") log.event("prefix.refused", { range: numberRange(phone) });
    await giveBack();
    throw limitError(reservation);
  }
  if (spent && !spent.ok) {
    await giveBack();
    throw new ApiError("sms_budget_exhausted", { retryAfter: spent.retryAfterMs / 1000 });
  }

  const code = fixedCode ?? randomDigits(config.CODE_LENGTH);
  const sendAndStore = async () => {
    let provider: string | undefined;
    try {
      if (paid) {
        const message = { to: phone, purpose, code, expiresInSeconds: config.CODE_TTL_SECONDS };
        const onFailure = (failure: SmsDeliveryError) =>
          publish(scope, { type: "sms.failed", phone, purpose, provider: failure.provider, providerCode: failure.providerCode, kind: failure.kind });
        provider = (await deliver(senders, message, config.SMS_TIMEOUT_MS, log, onFailure)).provider;
      } else if (fixedCode !== undefined) {
        log.event("code.sent", { provider: "test_number", phone: maskPhone(phone), purpose });
      }
      const stored = await storedCode(config.AUTH_SECRET, reservation.codeId, phone.e164, purpose, code);
      // The KV entry expires with the code (KV's minimum expirationTtl is 60 s; the config
      // refuses a shorter CODE_TTL_SECONDS). The Durable Object keeps the authoritative expiry.
      await env.CODES.put(codeKey(purpose, phone.e164), stored, { expirationTtl: config.CODE_TTL_SECONDS });
    } catch (error) {
      // A provider's per-number throttle (429): nothing was delivered, so the budget's SMS comes
      // back and an earlier code stays valid, but the cooldown stays: the provider said slow down.
      await giveBack(error instanceof SmsThrottledError);
      throw error;
    }
    // Logged once the send stands: a send given back also gave back its block and its alert.
    // The range alone, not the masked phone too: the range holds exactly the digits the mask hides.
    if (provider !== undefined) publish(scope, { type: "code.sent", phone, purpose, provider });
    if (reservation.rangeBlockedNow) {
      log.event("prefix.blocked", { range: numberRange(phone) });
      publish(scope, { type: "prefix.blocked", range: numberRange(phone) });
    }
    if (spent?.alertNow) {
      log.event("budget.exhausted", { budget: config.DAILY_SMS_BUDGET });
      publish(scope, { type: "budget.exhausted", budget: config.DAILY_SMS_BUDGET });
    }
  };

  if (purpose === "reset_password") scope.defer(sendAndStore());
  else await sendAndStore();
  return { expiresIn: config.CODE_TTL_SECONDS, resendIn: config.RESEND_INTERVAL_SECONDS };
}
