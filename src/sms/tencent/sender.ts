/**
 * Tencent Cloud SMS (腾讯云短信), API 3.0 action SendSms, version 2021-01-11, over plain fetch:
 *
 *   POST https://sms.tencentcloudapi.com/   Content-Type: application/json; charset=utf-8
 *   X-TC-Action / X-TC-Version / X-TC-Timestamp / X-TC-Region, Authorization: TC3-HMAC-SHA256 …
 *   {"PhoneNumberSet":["+86…"],"SmsSdkAppId","SignName","TemplateId","TemplateParamSet":[code, minutes?]}
 */
import * as z from "zod/mini";
import type { Phone } from "../../phone/phone";
import { preprocess } from "../../platform/settings/parse";
import { httpsProblems, noticesOf, requiredText, settingProblems, str, type TemplateMap, templateMap, textWithDefault, urlSetting } from "../settings";
import { exchange, field, httpFailureKind, type ProviderAnswer, type SenderClock, systemClock, unreadableAnswer } from "../transport";
import { type Notice, type ProviderSetup, SmsDeliveryError, type SmsMessage, type SmsReceipt, type SmsSender } from "../types";
import { classifyTencent } from "./errors";
import { signTc3 } from "./signing";

const PROVIDER = "tencent";
const ACTION = "SendSms";
const API_VERSION = "2021-01-11";
const SERVICE = "sms";
const CONTENT_TYPE = "application/json; charset=utf-8";
export const TENCENT_DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com";

export interface TencentSettings {
  endpoint: string;
  secretId: string;
  secretKey: string;
  sdkAppId: string;
  signName: string;
  templateIds: TemplateMap;
  region: string;
  /** What TemplateParamSet carries: the code alone ({1}), or the code and the validity in minutes ({1}, {2}). */
  templateParams: "code" | "code,minutes";
}

const settingsSchema = z.object({
  // An origin only: the host is signed and the canonical URI is always "/".
  TENCENT_ENDPOINT: urlSetting(TENCENT_DEFAULT_ENDPOINT, true),
  TENCENT_SECRET_ID: requiredText(),
  TENCENT_SECRET_KEY: requiredText(),
  TENCENT_SMS_SDK_APP_ID: z.pipe(requiredText(), z.string().check(z.regex(/^\d+$/, "must be the numeric SdkAppId from the SMS console, e.g. 1400006666"))),
  TENCENT_SIGN_NAME: requiredText(),
  // Template ids are numbers; JSON written by hand may hold them as numbers or strings.
  TENCENT_TEMPLATE_IDS: templateMap(
    preprocess((v) => (typeof v === "number" ? String(v) : v), str("a template id").check(z.regex(/^\d+$/, "must be a numeric template id"))),
  ),
  TENCENT_REGION: z.pipe(textWithDefault("ap-guangzhou"), z.string().check(z.regex(/^[a-z]+(-[a-z]+)+$/, "must be a region such as ap-guangzhou"))),
  TENCENT_TEMPLATE_PARAMS: z.pipe(
    z.pipe(
      textWithDefault("code"),
      z.transform((s: string) => s.replace(/\s+/g, "").toLowerCase()),
    ),
    z.enum(["code", "code,minutes"], { error: "must be code or code,minutes" }),
  ),
});

/** Reads the TENCENT_* settings; names what is missing or malformed, never the values. */
export function parseTencentSettings(env: Record<string, unknown>): { ok: true; settings: TencentSettings } | { ok: false; problems: string[] } {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) return { ok: false, problems: settingProblems(parsed.error) };
  const insecure = httpsProblems(env, "TENCENT_ENDPOINT", parsed.data.TENCENT_ENDPOINT);
  if (insecure.length > 0) return { ok: false, problems: insecure };
  const s = parsed.data;
  return {
    ok: true,
    settings: {
      endpoint: s.TENCENT_ENDPOINT,
      secretId: s.TENCENT_SECRET_ID,
      secretKey: s.TENCENT_SECRET_KEY,
      sdkAppId: s.TENCENT_SMS_SDK_APP_ID,
      signName: s.TENCENT_SIGN_NAME,
      templateIds: s.TENCENT_TEMPLATE_IDS,
      region: s.TENCENT_REGION,
      templateParams: s.TENCENT_TEMPLATE_PARAMS,
    },
  };
}

/** The factory registered in src/sms/registry.ts. */
export function tencentProvider(env: Record<string, unknown>): ProviderSetup {
  const parsed = parseTencentSettings(env);
  return parsed.ok ? { ok: true, sender: createTencentSender(parsed.settings) } : parsed;
}

/** The {2} template variable: whole minutes, rounded up so the text never promises more time than the code has. */
function validityMinutes(expiresInSeconds: number): string {
  return String(Math.max(1, Math.ceil(expiresInSeconds / 60)));
}

export function createTencentSender(settings: TencentSettings, clock: SenderClock = systemClock): SmsSender {
  const host = new URL(settings.endpoint).host;
  const post = async (to: Phone, templateId: string, params: string[], signal: AbortSignal): Promise<SmsReceipt> => {
    const payload = JSON.stringify({
      // E.164 for every number: Tencent takes mainland and international numbers alike.
      PhoneNumberSet: [to.e164],
      SmsSdkAppId: settings.sdkAppId,
      SignName: settings.signName,
      TemplateId: templateId,
      TemplateParamSet: params,
    });
    const timestamp = Math.floor(clock.now().getTime() / 1000);
    const signed = await signTc3({
      service: SERVICE,
      host,
      payload,
      contentType: CONTENT_TYPE,
      timestamp,
      secretId: settings.secretId,
      secretKey: settings.secretKey,
    });
    const init: RequestInit = {
      method: "POST",
      headers: {
        authorization: signed.authorization,
        "content-type": CONTENT_TYPE,
        "x-tc-action": ACTION,
        "x-tc-version": API_VERSION,
        "x-tc-timestamp": String(timestamp),
        "x-tc-region": settings.region,
      },
      body: payload,
    };
    return interpret(await exchange(PROVIDER, `${settings.endpoint}/`, init, signal));
  };
  return {
    name: PROVIDER,
    notices: noticesOf(settings.templateIds),
    send: (message: SmsMessage, signal: AbortSignal) =>
      post(
        message.to,
        settings.templateIds[message.purpose],
        settings.templateParams === "code" ? [message.code] : [message.code, validityMinutes(message.expiresInSeconds)],
        signal,
      ),
    // A notice template has no variables.
    notify: (to: Phone, notice: Notice, signal: AbortSignal) => {
      const template = settings.templateIds[notice];
      if (template === undefined) return Promise.reject(new SmsDeliveryError(PROVIDER, "rejected", "no_template"));
      return post(to, template, [], signal);
    },
  };
}

/**
 * Tencent answers HTTP 200 with {"Response": {...}}: a top-level Error {Code, Message} when the
 * request itself is refused (credentials, signature, parameters), otherwise a SendStatusSet with
 * one status per number, whose Code is "Ok" only when that number's message was accepted.
 * Message texts are free text and never read.
 */
function interpret(answer: ProviderAnswer): SmsReceipt {
  const response = objectField(answer.json, "Response");
  const requestId = field(response, "RequestId");
  const ok2xx = answer.status >= 200 && answer.status < 300;
  const error = objectField(response, "Error");
  const errorCode = field(error, "Code");
  if (errorCode !== undefined) throw failure(errorCode, answer.status, requestId);
  const statuses = response?.SendStatusSet;
  const first: unknown = Array.isArray(statuses) ? statuses[0] : undefined;
  const code = field(first, "Code");
  if (ok2xx && code === "Ok") return { provider: PROVIDER, requestId: field(first, "SerialNo") ?? requestId };
  if (code === undefined || code === "Ok") throw unreadableAnswer(PROVIDER, answer.status, requestId);
  throw failure(code, answer.status, requestId);
}

function failure(code: string, status: number, requestId: string | undefined): SmsDeliveryError {
  const classified = classifyTencent(code);
  const kind = classified.kind === "rejected" && status >= 300 ? httpFailureKind(status) : classified.kind;
  return new SmsDeliveryError(PROVIDER, kind, code, requestId, classified.kind === "throttled" ? classified.window : undefined);
}

function objectField(json: unknown, name: string): Record<string, unknown> | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const value = (json as Record<string, unknown>)[name];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
