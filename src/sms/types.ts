import type { Purpose } from "../codes/purpose";
import type { Phone } from "../phone/phone";

export interface SmsMessage {
  to: Phone;
  purpose: Purpose;
  code: string;
  /** How long the code stays valid, for templates that say "valid for N minutes". */
  expiresInSeconds: number;
}

export interface SmsReceipt {
  provider: string;
  /** The provider's id for the request (Aliyun RequestId / BizId, Ronglian smsMessageSid). */
  requestId?: string;
}

/**
 * Why a provider failed, which decides what happens next:
 * - `invalid_number`: the provider says the number cannot receive SMS: no failover, 400 invalid_phone;
 * - `retryable`: network error, timeout, 5xx, throttling, balance: the next provider is tried;
 * - `rejected`: anything else (bad signature, template, credentials): the next provider is tried
 *   too, since another provider may still deliver, but it is logged as a configuration problem;
 * - `throttled`: the provider's own per-number limit (so many a minute / hour / day): no failover
 *   (that would defeat the limit the operator set there), 429 too_many_requests with a Retry-After
 *   that matches the provider's window (src/sms/throttle.ts).
 */
export type SmsFailureKind = "invalid_number" | "retryable" | "rejected" | "throttled";

/** The window of a provider's per-number limit, which sets the Retry-After of a throttled send. */
export type ThrottleWindow = "30s" | "minute" | "hour" | "day";

export class SmsDeliveryError extends Error {
  constructor(
    readonly provider: string,
    readonly kind: SmsFailureKind,
    /** The provider's own error code (e.g. isv.BUSINESS_LIMIT_CONTROL, 160038); never message text. */
    readonly providerCode: string,
    readonly requestId?: string,
    /** For kind `throttled`: the window the provider's limit counts in. */
    readonly window?: ThrottleWindow,
  ) {
    super(`${provider}: ${providerCode}`);
    this.name = "SmsDeliveryError";
  }
}

/**
 * Messages that carry no code: a notice of something that happened to the account, sent only
 * through providers whose template map names it (e.g. `"phone_changed": "SMS_5"`). Add a notice
 * here and to the providers' template maps (settings.ts) to send another kind.
 */
export const NOTICES = ["phone_changed"] as const;
export type Notice = (typeof NOTICES)[number];

/** One SMS provider. Implementations only build, sign and send one request; failover is elsewhere. */
export interface SmsSender {
  readonly name: string;
  send(message: SmsMessage, signal: AbortSignal): Promise<SmsReceipt>;
  /** The notices this provider has a template for. */
  readonly notices: ReadonlySet<Notice>;
  /** Sends a notice (no code, no variables) to `to`; only called for a notice in `notices`. */
  notify(to: Phone, notice: Notice, signal: AbortSignal): Promise<SmsReceipt>;
}

/** A provider's settings as found in the environment: a sender, or the names of what is missing. */
export type ProviderSetup = { ok: true; sender: SmsSender } | { ok: false; problems: string[] };
