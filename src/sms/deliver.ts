import { ApiError } from "../http/errors/api-error";
import { maskPhone } from "../phone/phone";
import type { Logger } from "../platform/log";
import { SmsThrottledError } from "./throttle";
import { SmsDeliveryError, type SmsMessage, type SmsReceipt, type SmsSender } from "./types";

/**
 * Sends through the first provider that delivers. Fails over on network errors, timeouts, 5xx,
 * account-level refusals (credentials, balance, sign, template: logged with the provider's code);
 * never on an invalid number (the next provider would say the same, and it costs money) nor on a
 * provider's per-number throttle (429 with the provider's window: SmsThrottledError). Each try is
 * bounded by `timeoutMs`.
 */
export async function deliver(
  senders: SmsSender[],
  message: SmsMessage,
  timeoutMs: number,
  log: Logger,
  onFailure: (failure: SmsDeliveryError) => void = () => {},
): Promise<SmsReceipt> {
  for (const sender of senders) {
    try {
      const receipt = await sender.send(message, AbortSignal.timeout(timeoutMs));
      log.event("code.sent", { provider: receipt.provider, providerRequestId: receipt.requestId, phone: maskPhone(message.to), purpose: message.purpose });
      return receipt;
    } catch (error) {
      const failure =
        error instanceof SmsDeliveryError
          ? error
          : new SmsDeliveryError(
              sender.name,
              "retryable",
              error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError") ? "timeout" : "network_error",
            );
      log.event("code.failed", {
        provider: failure.provider,
        providerCode: failure.providerCode,
        providerRequestId: failure.requestId,
        kind: failure.kind,
        window: failure.window,
        phone: maskPhone(message.to),
        purpose: message.purpose,
      });
      onFailure(failure);
      if (failure.kind === "invalid_number") throw new ApiError("invalid_phone");
      if (failure.kind === "throttled") throw new SmsThrottledError(failure.provider, failure.window ?? "minute");
    }
  }
  throw new ApiError("sms_send_failed");
}
