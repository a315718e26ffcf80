import type { Phone } from "../phone/phone";
import { NOTICES, type Notice, type SmsMessage, type SmsReceipt, type SmsSender } from "./types";

/**
 * Development sender: prints the message as one JSON line instead of sending it. The only sender
 * that ever prints a code; the config refuses it in production.
 */
export const consoleSender: SmsSender = {
  name: "console",
  // Development prints every notice, so it can be seen without templates.
  notices: new Set(NOTICES),
  async notify(to: Phone, notice: Notice): Promise<SmsReceipt> {
    console.log(JSON.stringify({ event: "sms.console", to: to.e164, notice }));
    return { provider: "console" };
  },
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
