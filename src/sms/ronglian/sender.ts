/**
 * Ronglian / cloopen (容联云通讯) template SMS, REST version 2013-12-26, over plain fetch:
 *
 *   POST {base}/2013-12-26/Accounts/{sid}/SMS/TemplateSMS?sig=MD5(sid + token + ts) (uppercase hex)
 *   Authorization: base64(sid:ts), ts = yyyyMMddHHmmss in Beijing time
 *   {"to","appId","templateId","datas":[code, minutes]}
 */
import * as z from "zod/mini";
import type { Phone } from "../../phone/phone";
import { preprocess } from "../../platform/settings/parse";
import { httpsProblems, noticesOf, requiredText, settingProblems, str, type TemplateMap, templateMap, urlSetting } from "../settings";
import { exchange, field, httpFailureKind, type ProviderAnswer, type SenderClock, systemClock, unreadableAnswer } from "../transport";
import { type Notice, type ProviderSetup, SmsDeliveryError, type SmsMessage, type SmsReceipt, type SmsSender, type ThrottleWindow } from "../types";
import { beijingTimestamp, ronglianAuthorization, ronglianSig } from "./signing";

const PROVIDER = "ronglian";
export const RONGLIAN_DEFAULT_BASE_URL = "https://app.cloopen.com:8883";

export interface RonglianSettings {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  appId: string;
  templateIds: TemplateMap;
}

// The SID and app id go into the URL path and the Authorization header, so anything but letters
// and digits (which is all Ronglian issues) is a pasting mistake, reported instead of sent.
const identifier = (what: string) =>
  z.pipe(requiredText(), z.string().check(z.regex(/^[A-Za-z0-9]+$/, `must be the ${what} from the Ronglian console (letters and digits)`)));

const settingsSchema = z.object({
  RONGLIAN_BASE_URL: urlSetting(RONGLIAN_DEFAULT_BASE_URL, false),
  RONGLIAN_ACCOUNT_SID: identifier("ACCOUNT SID"),
  RONGLIAN_AUTH_TOKEN: requiredText(),
  RONGLIAN_APP_ID: identifier("APP ID"),
  // Template ids are numbers; JSON written by hand may hold them as numbers or strings.
  RONGLIAN_TEMPLATE_IDS: templateMap(
    preprocess((v) => (typeof v === "number" ? String(v) : v), str("a template id").check(z.regex(/^\d+$/, "must be a numeric template id"))),
  ),
});

/** Reads the RONGLIAN_* settings; names what is missing or malformed, never the values. */
export function parseRonglianSettings(env: Record<string, unknown>): { ok: true; settings: RonglianSettings } | { ok: false; problems: string[] } {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) return { ok: false, problems: settingProblems(parsed.error) };
  const insecure = httpsProblems(env, "RONGLIAN_BASE_URL", parsed.data.RONGLIAN_BASE_URL);
  if (insecure.length > 0) return { ok: false, problems: insecure };
  const s = parsed.data;
  return {
    ok: true,
    settings: {
      baseUrl: s.RONGLIAN_BASE_URL,
      accountSid: s.RONGLIAN_ACCOUNT_SID,
      authToken: s.RONGLIAN_AUTH_TOKEN,
      appId: s.RONGLIAN_APP_ID,
      templateIds: s.RONGLIAN_TEMPLATE_IDS,
    },
  };
}

/** The factory registered in src/sms/index.ts. */
export function ronglianProvider(env: Record<string, unknown>): ProviderSetup {
  const parsed = parseRonglianSettings(env);
  return parsed.ok ? { ok: true, sender: createRonglianSender(parsed.settings) } : parsed;
}

/** Mainland numbers as their 11 national digits; every other number as 00 + country code + number. */
export function ronglianPhoneNumber(phone: Phone): string {
  return phone.countryCallingCode === "86" ? phone.nationalNumber : `00${phone.countryCallingCode}${phone.nationalNumber}`;
}

/** The {2} template variable: whole minutes, rounded up so the text never promises more time than the code has. */
export function validityMinutes(expiresInSeconds: number): string {
  return String(Math.max(1, Math.ceil(expiresInSeconds / 60)));
}

export function createRonglianSender(settings: RonglianSettings, clock: SenderClock = systemClock): SmsSender {
  const post = async (to: Phone, templateId: string, datas: string[], signal: AbortSignal): Promise<SmsReceipt> => {
    const ts = beijingTimestamp(clock.now());
    const sig = await ronglianSig(settings.accountSid, settings.authToken, ts);
    const url = `${settings.baseUrl}/2013-12-26/Accounts/${settings.accountSid}/SMS/TemplateSMS?sig=${sig}`;
    const body = JSON.stringify({ to: ronglianPhoneNumber(to), appId: settings.appId, templateId, datas });
    const answer = await exchange(
      PROVIDER,
      url,
      {
        method: "POST",
        headers: {
          accept: "application/json",
          "content-type": "application/json;charset=utf-8",
          authorization: ronglianAuthorization(settings.accountSid, ts),
        },
        body,
      },
      signal,
    );
    return interpret(answer);
  };
  return {
    name: PROVIDER,
    notices: noticesOf(settings.templateIds),
    send: (message: SmsMessage, signal: AbortSignal) =>
      post(message.to, settings.templateIds[message.purpose], [message.code, validityMinutes(message.expiresInSeconds)], signal),
    // A notice template has no variables.
    notify: (to: Phone, notice: Notice, signal: AbortSignal) => {
      const template = settings.templateIds[notice];
      if (template === undefined) return Promise.reject(new SmsDeliveryError(PROVIDER, "rejected", "no_template"));
      return post(to, template, [], signal);
    },
  };
}

const SUCCESS = "000000";

/** 160042: the number's format is wrong; another provider would refuse it as well. */
const INVALID_NUMBER = new Set(["160042"]);

/**
 * Ronglian's per-number limits: 160038 a verification code sent too often to the number (its
 * minute-level frequency limit), 160039 the per-number daily limit of one template, 160040 / 160041
 * the per-number daily limits of verification and notification templates. Answered as 429 with
 * the window, never failed over.
 */
const THROTTLED = new Map<string, ThrottleWindow>([
  ["160038", "minute"],
  ["160039", "day"],
  ["160040", "day"],
  ["160041", "day"],
]);

/** An exhausted balance (111142): this account cannot send now, the next provider may. */
const RETRYABLE = new Set(["111142"]);

/**
 * Ronglian answers HTTP 200 with {"statusCode":"000000","templateSMS":{"smsMessageSid",…}} on
 * success and {"statusCode","statusMsg"} otherwise (statusMsg is ignored: it is free text).
 */
function interpret(answer: ProviderAnswer): SmsReceipt {
  const code = field(answer.json, "statusCode");
  const ok2xx = answer.status >= 200 && answer.status < 300;
  if (ok2xx && code === SUCCESS) {
    const templateSms = typeof answer.json === "object" && answer.json !== null ? (answer.json as Record<string, unknown>).templateSMS : undefined;
    return { provider: PROVIDER, requestId: field(templateSms, "smsMessageSid") };
  }
  if (code === undefined || code === SUCCESS) throw unreadableAnswer(PROVIDER, answer.status);
  if (INVALID_NUMBER.has(code)) throw new SmsDeliveryError(PROVIDER, "invalid_number", code);
  const window = THROTTLED.get(code);
  if (window) throw new SmsDeliveryError(PROVIDER, "throttled", code, undefined, window);
  if (RETRYABLE.has(code)) throw new SmsDeliveryError(PROVIDER, "retryable", code);
  throw new SmsDeliveryError(PROVIDER, ok2xx ? "rejected" : httpFailureKind(answer.status), code);
}
