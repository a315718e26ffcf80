/**
 * What Tencent Cloud SMS's error codes mean for the next step (SendSms 2021-01-11 error codes).
 * Only the code is read; the message text is free text and never logged.
 */
import type { SmsFailureKind, ThrottleWindow } from "../types";

export type TencentFailure = { kind: "throttled"; window: ThrottleWindow } | { kind: Exclude<SmsFailureKind, "throttled"> };

/** The number itself is refused: another provider would refuse it too, and charge for trying. */
const INVALID_NUMBER = new Set(["InvalidParameterValue.IncorrectPhoneNumber"]);

/**
 * Tencent's per-number limits (its defaults: one message per 30 s, and daily caps per number, all
 * adjustable in the console's frequency policy): 429 with the window, never failed over.
 * LimitExceeded.DeliveryFrequencyLimit is that same frequency policy without saying which window;
 * it counts as the shortest one a policy can set after 30 s.
 */
const THROTTLED = new Map<string, ThrottleWindow>([
  ["LimitExceeded.PhoneNumberThirtySecondLimit", "30s"],
  ["LimitExceeded.PhoneNumberOneHourLimit", "hour"],
  ["LimitExceeded.PhoneNumberDailyLimit", "day"],
  ["LimitExceeded.PhoneNumberSameContentDailyLimit", "day"],
  ["LimitExceeded.DeliveryFrequencyLimit", "minute"],
]);

/**
 * This account cannot send right now, the next provider may: the application's own daily caps
 * (LimitExceeded.App*DailyLimit), an empty package balance, API rate limits and Tencent-side
 * faults. Every other code (credentials, signature, an unapproved sign or template, permissions)
 * is "rejected": it fails over too, and is logged as a configuration problem.
 */
function isRetryable(code: string): boolean {
  return (
    code === "FailedOperation.InsufficientBalanceInSmsPackage" ||
    /^LimitExceeded\.App.*DailyLimit$/.test(code) ||
    code.startsWith("RequestLimitExceeded") ||
    code.startsWith("InternalError")
  );
}

export function classifyTencent(code: string): TencentFailure {
  if (INVALID_NUMBER.has(code)) return { kind: "invalid_number" };
  const window = THROTTLED.get(code);
  if (window) return { kind: "throttled", window };
  if (isRetryable(code)) return { kind: "retryable" };
  return { kind: "rejected" };
}
