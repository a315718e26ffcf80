import type { SmsProviderName } from "../platform/config";
import { ApiError } from "../http/errors/api-error";
import type { Logger } from "../platform/log";
import { maskPhone } from "../phone/phone";
import { aliyunProvider } from "./aliyun/sender";
import { consoleSender } from "./console";
import { ronglianProvider } from "./ronglian/sender";
import { SmsDeliveryError, type SmsMessage, type SmsReceipt, type SmsSender } from "./types";

/** A provider's settings as found in the environment: a sender, or the names of what is missing. */
export type ProviderSetup = { ok: true; sender: SmsSender } | { ok: false; problems: string[] };

type ProviderFactory = (env: Record<string, unknown>) => ProviderSetup;

const FACTORIES: Record<SmsProviderName, ProviderFactory> = {
  console: () => ({ ok: true, sender: consoleSender }),
  aliyun: aliyunProvider,
  ronglian: ronglianProvider,
};

const setups = new WeakMap<object, Map<SmsProviderName, ProviderSetup>>();

/** Each configured provider's setup, parsed once per environment object. */
export function providerSetups(env: Record<string, unknown>, names: readonly SmsProviderName[]): Map<SmsProviderName, ProviderSetup> {
  let cached = setups.get(env);
  if (!cached) {
    cached = new Map(names.map((name) => [name, FACTORIES[name](env)]));
    setups.set(env, cached);
  }
  return cached;
}

/** The senders to try, in order; 503 sms_not_configured when any configured provider is broken. */
export function resolveSenders(env: Record<string, unknown>, names: readonly SmsProviderName[], log: Logger): SmsSender[] {
  const senders: SmsSender[] = [];
  for (const [name, setup] of providerSetups(env, names)) {
    if (!setup.ok) {
      log.event("sms.not_configured", { provider: name, problems: setup.problems.join(", ") });
      throw new ApiError("sms_not_configured");
    }
    senders.push(setup.sender);
  }
  return senders;
}

/**
 * Sends through the first provider that delivers. Fails over on network errors, timeouts, 5xx,
 * throttling and other refusals; never on an invalid number (the next provider would say the
 * same, and it costs money). Each try is bounded by `timeoutMs`.
 */
export async function deliver(senders: SmsSender[], message: SmsMessage, timeoutMs: number, log: Logger): Promise<SmsReceipt> {
  for (const sender of senders) {
    try {
      const receipt = await sender.send(message, AbortSignal.timeout(timeoutMs));
      log.event("code.sent", { provider: receipt.provider, providerRequestId: receipt.requestId, phone: maskPhone(message.to), purpose: message.purpose });
      return receipt;
    } catch (error) {
      const failure =
        error instanceof SmsDeliveryError
          ? error
          : new SmsDeliveryError(sender.name, "retryable", error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError") ? "timeout" : "network_error");
      log.event("code.failed", {
        provider: failure.provider,
        providerCode: failure.providerCode,
        providerRequestId: failure.requestId,
        kind: failure.kind,
        phone: maskPhone(message.to),
        purpose: message.purpose,
      });
      if (failure.kind === "invalid_number") throw new ApiError("invalid_phone");
    }
  }
  throw new ApiError("sms_send_failed");
}
