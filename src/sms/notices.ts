import { maskPhone, type Phone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { resolveSenders } from "./registry";
import type { Notice, SmsSender } from "./types";

/**
 * Sends a notice (no code) through the first configured provider that has its template, failing
 * over like codes do. Best effort and off the answer's path (call it through scope.defer): a
 * notice that cannot be sent is logged, never an error for the user. Nothing of the code limits
 * or budget is taken: a notice follows an action that was itself limited (one per phone change).
 */
export async function sendNotice(scope: RequestScope, to: Phone, notice: Notice): Promise<void> {
  const { env, config, log } = scope;
  let senders: SmsSender[];
  try {
    senders = resolveSenders(env, config.SMS_PROVIDER, log).filter((sender) => sender.notices.has(notice));
  } catch {
    return; // sms_not_configured: already logged by resolveSenders
  }
  for (const sender of senders) {
    try {
      const receipt = await sender.notify(to, notice, AbortSignal.timeout(config.SMS_TIMEOUT_MS));
      log.event("notice.sent", { provider: receipt.provider, providerRequestId: receipt.requestId, phone: maskPhone(to), notice });
      return;
    } catch (error) {
      const code = error instanceof Error ? error.message : "error";
      log.event("notice.failed", { provider: sender.name, reason: code.slice(0, 80), phone: maskPhone(to), notice });
    }
  }
}
