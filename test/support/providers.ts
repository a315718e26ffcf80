/**
 * Fake Aliyun, Ronglian and Tencent endpoints for end-to-end sending tests (POST /v1/codes with the
 * providers' settings in env): outbound requests are routed by host, recorded with the code each
 * one carries, and answered by the test's handlers. Any other host is recorded as unexpected.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { json as answer, interceptFetch } from "./intercept";
import { guardOf } from "./time";

export const ALIYUN_ENV = {
  ALIYUN_ENDPOINT: "https://aliyun.test",
  ALIYUN_ACCESS_KEY_ID: "LTAI5tThrottleKeyId",
  ALIYUN_ACCESS_KEY_SECRET: "aliyun-Secret-Th7vW2pLm4RtZk",
  ALIYUN_SIGN_NAME: "测试签名",
  ALIYUN_TEMPLATE_CODES: '{"login":"SMS_1","register":"SMS_2","reset_password":"SMS_3","change_phone":"SMS_4"}',
};
export const RONGLIAN_ENV = {
  RONGLIAN_BASE_URL: "https://ronglian.test",
  RONGLIAN_ACCOUNT_SID: "abc123",
  RONGLIAN_AUTH_TOKEN: "ronglianAuthTokenTh9Yx8Wv",
  RONGLIAN_APP_ID: "app1",
  RONGLIAN_TEMPLATE_IDS: '{"login":"1","register":"2","reset_password":"3","change_phone":"4"}',
};
export const TENCENT_ENV = {
  TENCENT_ENDPOINT: "https://tencent.test",
  TENCENT_SECRET_ID: "AKIDtencentE2eSecretId",
  TENCENT_SECRET_KEY: "tencent-SecretKey-E2e5Lp7Zq8Wx",
  TENCENT_SMS_SDK_APP_ID: "1400006666",
  TENCENT_SIGN_NAME: "腾讯云",
  TENCENT_TEMPLATE_IDS: '{"login":"1110","register":"1111","reset_password":"1112","change_phone":"1113"}',
};
export const ALL_PROVIDERS_ENV = { ...ALIYUN_ENV, ...RONGLIAN_ENV, ...TENCENT_ENV };

export type ProviderName = "aliyun" | "ronglian" | "tencent";
type Handler = (request: Request) => Response | Promise<Response>;

export interface Sent {
  provider: ProviderName;
  request: Request;
  body: string;
  /** The code as the provider received it. */
  code: string;
}

const HOSTS: Record<string, ProviderName> = { "aliyun.test": "aliyun", "ronglian.test": "ronglian", "tencent.test": "tencent" };

function codeOf(provider: ProviderName, request: Request, body: string): string {
  if (provider === "aliyun") return (JSON.parse(new URL(request.url).searchParams.get("TemplateParam") ?? "{}") as { code: string }).code;
  if (provider === "ronglian") return (JSON.parse(body) as { datas: string[] }).datas[0]!;
  return (JSON.parse(body) as { TemplateParamSet: string[] }).TemplateParamSet[0]!;
}

export function fakeProviders(handlers: Partial<Record<ProviderName, Handler>>) {
  const sent: Sent[] = [];
  const unexpected: string[] = [];
  interceptFetch(async (request) => {
    const provider = HOSTS[new URL(request.url).host];
    const handler = provider && handlers[provider];
    if (!provider || !handler) {
      unexpected.push(request.url);
      return new Response("no fake for this host", { status: 599 });
    }
    const body = await request.clone().text();
    sent.push({ provider, request, body, code: codeOf(provider, request, body) });
    return handler(request);
  });
  return {
    sent,
    unexpected,
    providers: () => sent.map((s) => s.provider),
    /** The one code sent (every provider tried gets the same code). */
    code(): string {
      const codes = new Set(sent.map((s) => s.code));
      if (codes.size !== 1) throw new Error(`expected one code, got ${[...codes].join(", ") || "none"}`);
      return [...codes][0]!;
    },
  };
}

export const aliyunOk = () => answer({ Code: "OK", Message: "OK", BizId: "BIZ-aliyun", RequestId: "REQ-aliyun-ok" });
export const aliyunError = (code: string, message: string, status = 200) => answer({ Code: code, Message: message, RequestId: `REQ-aliyun-${code}` }, status);
export const ronglianOk = () => answer({ statusCode: "000000", templateSMS: { smsMessageSid: "SID-ronglian", dateCreated: "20250101003005" } });
export const ronglianError = (statusCode: string) => answer({ statusCode, statusMsg: "MESSAGE-TEXT" });
export const tencentOk = () =>
  answer({ Response: { SendStatusSet: [{ SerialNo: "5000:tencent-serial", Code: "Ok", Message: "send success", Fee: 1 }], RequestId: "REQ-tencent-ok" } });
/** A per-number failure in SendStatusSet (the request itself was accepted). */
export const tencentStatus = (code: string) =>
  answer({ Response: { SendStatusSet: [{ SerialNo: "", Code: code, Message: "MESSAGE-TEXT", Fee: 0 }], RequestId: `REQ-tencent-${code}` } });
/** A refusal of the whole request (Response.Error). */
export const tencentError = (code: string) => answer({ Response: { Error: { Code: code, Message: "MESSAGE-TEXT" }, RequestId: `REQ-tencent-${code}` } });

/** The phone's state in its Durable Object (undefined when nothing is recorded). */
export async function phoneState(phone: string): Promise<{ sends: number[]; lastSendAt?: number; codes: Record<string, unknown> } | undefined> {
  return runInDurableObject(guardOf(phone), (_instance, state) => state.storage.kv.get(`phone:${phone}`));
}

/** SMS taken from today's deployment budget. */
export async function budgetSpent(): Promise<number> {
  const stub = env.SMS_BUDGET.get(env.SMS_BUDGET.idFromName("global"));
  return runInDurableObject(stub, (_instance, state) => state.storage.kv.get<{ spent: number }>("today")?.spent ?? 0);
}
