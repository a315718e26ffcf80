/**
 * Aliyun SMS (dysmsapi, API version 2017-05-25, action SendSms) over plain fetch: no SDK, so the
 * Worker bundle stays small and the request stays visible.
 *
 * SendSms is an RPC-style API whose parameters the API metadata places `in: query` with method
 * POST, so both signature versions send POST / with every parameter in the query string and an
 * empty body (the shape Aliyun's own SDK sends).
 */
import * as z from "zod/mini";
import type { Phone } from "../../phone/phone";
import { httpsProblems, noticesOf, requiredText, settingProblems, str, type TemplateMap, templateMap, textWithDefault, urlSetting } from "../settings";
import { exchange, field, httpFailureKind, type ProviderAnswer, type SenderClock, systemClock, unreadableAnswer } from "../transport";
import { type Notice, type ProviderSetup, SmsDeliveryError, type SmsMessage, type SmsReceipt, type SmsSender, type ThrottleWindow } from "../types";
import { aliyunTimestamp, canonicalQuery, percentEncode, rpcSignature, signAcs3 } from "./signing";

const PROVIDER = "aliyun";
const API_VERSION = "2017-05-25";
const ACTION = "SendSms";
export const ALIYUN_DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com";

export interface AliyunSettings {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  templateCodes: TemplateMap;
  templateParamName: string;
  signature: "v3" | "v2";
}

const settingsSchema = z.object({
  ALIYUN_ENDPOINT: urlSetting(ALIYUN_DEFAULT_ENDPOINT, true),
  ALIYUN_ACCESS_KEY_ID: requiredText(),
  ALIYUN_ACCESS_KEY_SECRET: requiredText(),
  ALIYUN_SIGN_NAME: requiredText(),
  ALIYUN_TEMPLATE_CODES: templateMap(str("a template code string").check(z.regex(/^[A-Za-z0-9_]+$/, "must be a template code such as SMS_123456789"))),
  ALIYUN_TEMPLATE_PARAM_NAME: z.pipe(
    textWithDefault("code"),
    z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a template variable name such as code")),
  ),
  ALIYUN_SIGNATURE: z.pipe(
    z.pipe(
      textWithDefault("v3"),
      z.transform((s: string) => s.toLowerCase()),
    ),
    z.enum(["v3", "v2"], { error: "must be v3 or v2" }),
  ),
});

/** Reads the ALIYUN_* settings; names what is missing or malformed, never the values. */
export function parseAliyunSettings(env: Record<string, unknown>): { ok: true; settings: AliyunSettings } | { ok: false; problems: string[] } {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) return { ok: false, problems: settingProblems(parsed.error) };
  const insecure = httpsProblems(env, "ALIYUN_ENDPOINT", parsed.data.ALIYUN_ENDPOINT);
  if (insecure.length > 0) return { ok: false, problems: insecure };
  const s = parsed.data;
  return {
    ok: true,
    settings: {
      endpoint: s.ALIYUN_ENDPOINT,
      accessKeyId: s.ALIYUN_ACCESS_KEY_ID,
      accessKeySecret: s.ALIYUN_ACCESS_KEY_SECRET,
      signName: s.ALIYUN_SIGN_NAME,
      templateCodes: s.ALIYUN_TEMPLATE_CODES,
      templateParamName: s.ALIYUN_TEMPLATE_PARAM_NAME,
      signature: s.ALIYUN_SIGNATURE,
    },
  };
}

/** The factory registered in src/sms/index.ts. */
export function aliyunProvider(env: Record<string, unknown>): ProviderSetup {
  const parsed = parseAliyunSettings(env);
  return parsed.ok ? { ok: true, sender: createAliyunSender(parsed.settings) } : parsed;
}

/** Mainland numbers as their 11 national digits; every other number as country code + number, no "+". */
export function aliyunPhoneNumber(phone: Phone): string {
  return phone.countryCallingCode === "86" ? phone.nationalNumber : `${phone.countryCallingCode}${phone.nationalNumber}`;
}

export function createAliyunSender(settings: AliyunSettings, clock: SenderClock = systemClock): SmsSender {
  const host = new URL(settings.endpoint).host;
  const post = async (params: Record<string, string>, signal: AbortSignal) => {
    const request = settings.signature === "v3" ? await requestV3(settings, host, params, clock) : await requestV2(settings, params, clock);
    return interpret(await exchange(PROVIDER, request.url, request.init, signal));
  };
  return {
    name: PROVIDER,
    notices: noticesOf(settings.templateCodes),
    async send(message: SmsMessage, signal: AbortSignal): Promise<SmsReceipt> {
      return post(
        {
          PhoneNumbers: aliyunPhoneNumber(message.to),
          SignName: settings.signName,
          TemplateCode: settings.templateCodes[message.purpose],
          TemplateParam: JSON.stringify({ [settings.templateParamName]: message.code }),
        },
        signal,
      );
    },
    // A notice template has no variables, so no TemplateParam.
    async notify(to: Phone, notice: Notice, signal: AbortSignal): Promise<SmsReceipt> {
      const template = settings.templateCodes[notice];
      if (template === undefined) throw new SmsDeliveryError(PROVIDER, "rejected", "no_template");
      return post({ PhoneNumbers: aliyunPhoneNumber(to), SignName: settings.signName, TemplateCode: template }, signal);
    },
  };
}

interface PreparedRequest {
  url: string;
  init: RequestInit;
}

async function requestV3(settings: AliyunSettings, host: string, params: Record<string, string>, clock: SenderClock): Promise<PreparedRequest> {
  const signed = await signAcs3({
    method: "POST",
    host,
    path: "/",
    query: params,
    body: "",
    action: ACTION,
    version: API_VERSION,
    date: aliyunTimestamp(clock.now()),
    nonce: clock.nonce(),
    accessKeyId: settings.accessKeyId,
    accessKeySecret: settings.accessKeySecret,
  });
  // Accept is not a signed header (only host, content-type and x-acs-* are); it asks the V3
  // gateway for JSON, as Aliyun's SDK does.
  return {
    url: `${settings.endpoint}/?${canonicalQuery(params)}`,
    init: { method: "POST", headers: { ...signed.headers, accept: "application/json" } },
  };
}

async function requestV2(settings: AliyunSettings, params: Record<string, string>, clock: SenderClock): Promise<PreparedRequest> {
  const all: Record<string, string> = {
    ...params,
    AccessKeyId: settings.accessKeyId,
    Action: ACTION,
    // V2 answers XML unless asked otherwise.
    Format: "JSON",
    SignatureMethod: "HMAC-SHA1",
    SignatureNonce: clock.nonce(),
    SignatureVersion: "1.0",
    Timestamp: aliyunTimestamp(clock.now()),
    Version: API_VERSION,
  };
  const signature = await rpcSignature("POST", all, settings.accessKeySecret);
  return {
    url: `${settings.endpoint}/?${canonicalQuery(all)}&Signature=${percentEncode(signature)}`,
    init: { method: "POST", headers: { accept: "application/json" } },
  };
}

/** The number itself is refused: another provider would refuse it too, and charge for trying. */
const INVALID_NUMBER = new Set(["isv.MOBILE_NUMBER_ILLEGAL"]);

/**
 * Quotas, balance and Aliyun-side faults: this account cannot send right now, but the next
 * provider may. isv.DAY_LIMIT_CONTROL / isv.MONTH_LIMIT_CONTROL are the account-wide send limits
 * set in the console (not per number); isv.OUT_OF_SERVICE is Aliyun suspending the service for an
 * overdue account, a balance problem in another form. Throttling.* is the API gateway's rate
 * limit for the AccessKey.
 */
const RETRYABLE = new Set([
  "isv.DAY_LIMIT_CONTROL",
  "isv.MONTH_LIMIT_CONTROL",
  "isv.AMOUNT_NOT_ENOUGH",
  "isv.OUT_OF_SERVICE",
  "isp.SYSTEM_ERROR",
  "ServiceUnavailable",
  "InternalError",
]);

/** Aliyun's per-number flow control: 1 a minute, 5 an hour, 10 a day by default (console-adjustable). */
const PER_NUMBER_LIMIT = "isv.BUSINESS_LIMIT_CONTROL";

/**
 * Which of its windows isv.BUSINESS_LIMIT_CONTROL hit. Aliyun says so only in the message text
 * ("触发分钟级流控Permits:1", "触发小时级流控Permits:5", "触发天级流控Permits:10"; English
 * consoles: minute/hour/day), which is read for this and never logged. A message naming no window
 * counts as the minute one, the shortest: the user may try again soon, and a longer window then
 * answers with its own.
 */
export function aliyunThrottleWindow(message: string | undefined): ThrottleWindow {
  const text = message ?? "";
  if (/天|日|day/i.test(text)) return "day";
  if (/小时|hour/i.test(text)) return "hour";
  return "minute";
}

/**
 * Aliyun reports business refusals as HTTP 200 with Code other than "OK", and gateway refusals
 * (SignatureDoesNotMatch, InvalidAccessKeyId.NotFound, InvalidTimeStamp.Expired, Throttling.*)
 * as 4xx with the same JSON shape; 5xx is its own failure.
 */
function interpret(answer: ProviderAnswer): SmsReceipt {
  const code = field(answer.json, "Code");
  const requestId = field(answer.json, "RequestId");
  const ok2xx = answer.status >= 200 && answer.status < 300;
  // BizId is what QuerySendDetails and delivery receipts are keyed by, so it is the id to log.
  if (ok2xx && code === "OK") return { provider: PROVIDER, requestId: field(answer.json, "BizId") ?? requestId };
  if (code === undefined) throw unreadableAnswer(PROVIDER, answer.status, requestId);
  if (code === PER_NUMBER_LIMIT) {
    throw new SmsDeliveryError(PROVIDER, "throttled", code, requestId, aliyunThrottleWindow(field(answer.json, "Message")));
  }
  throw new SmsDeliveryError(PROVIDER, classify(code, answer.status), code, requestId);
}

function classify(code: string, status: number): "invalid_number" | "retryable" | "rejected" {
  if (INVALID_NUMBER.has(code)) return "invalid_number";
  if (RETRYABLE.has(code) || code.startsWith("Throttling")) return "retryable";
  if (status >= 300) return httpFailureKind(status);
  return "rejected";
}
