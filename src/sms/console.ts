import type { SmsMessage, SmsReceipt, SmsSender } from "./types";

/**
 * Development sender: prints the message as one JSON line instead of sending it. The only sender
 * that ever prints a code; the config refuses it in production.
 */
export const consoleSender: SmsSender = {
  name: "console",
  async send(message: SmsMessage): Promise<SmsReceipt> {
    console.log(
      JSON.stringify({
        event: "sms.console",
        to: message.to.e164,
        purpose: message.purpose,
        code: message.code,
        expiresIn: message.expiresInSeconds,
      }),
    );
    return { provider: "console" };
  },
};
