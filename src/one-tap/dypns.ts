/**
 * Aliyun Phone Number Verification (号码认证服务, Dypnsapi 2017-05-25) over plain fetch: the number
 * behind a carrier one-tap token. GetMobile takes the app SDK's AccessToken, GetPhoneWithToken the
 * H5 SDK's SpToken. Both are RPC-style APIs signed exactly like SendSms (src/sms/aliyun/signing.ts,
 * the same signature version the SMS sender uses: ALIYUN_SIGNATURE, V3 by default), sent as POST /
 * with every parameter in the query string and an empty body.
 */
import * as z from "zod/mini";
import { randomBytes, toHex } from "../platform/crypto";
import { aliyunTimestamp, canonicalQuery, percentEncode, rpcSignature, signAcs3 } from "../sms/aliyun/signing";
import { requiredText, settingProblems, textWithDefault } from "../sms/settings";

const API_VERSION = "2017-05-25";

export interface DypnsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  signature: "v3" | "v2";
}

const credentialsSchema = z.object({
  ALIYUN_ACCESS_KEY_ID: requiredText(),
  ALIYUN_ACCESS_KEY_SECRET: requiredText(),
  ALIYUN_SIGNATURE: z.pipe(
    z.pipe(
      textWithDefault("v3"),
      z.transform((s: string) => s.toLowerCase()),
    ),
    z.enum(["v3", "v2"], { error: "must be v3 or v2" }),
  ),
});

/** The Aliyun AccessKey pair and signature version, read the way the SMS sender reads them; names problems, never values. */
export function parseDypnsCredentials(env: Record<string, unknown>): { ok: true; credentials: DypnsCredentials } | { ok: false; problems: string[] } {
  const parsed = credentialsSchema.safeParse(env);
  if (!parsed.success) return { ok: false, problems: settingProblems(parsed.error) };
  const s = parsed.data;
  return { ok: true, credentials: { accessKeyId: s.ALIYUN_ACCESS_KEY_ID, accessKeySecret: s.ALIYUN_ACCESS_KEY_SECRET, signature: s.ALIYUN_SIGNATURE } };
}

/** The carrier token as the client got it: from the app SDK or from the H5 SDK. */
export type CarrierToken = { kind: "access_token"; token: string; outId?: string } | { kind: "sp_token"; token: string };

export type DypnsResult = { ok: true; mobile: string } | { ok: false; kind: "token_refused" | "throttled" | "unavailable"; code: string; requestId?: string };

function request(token: CarrierToken): { action: string; params: Record<string, string> } {
  if (token.kind === "sp_token") return { action: "GetPhoneWithToken", params: { SpToken: token.token } };
  return { action: "GetMobile", params: { AccessToken: token.token, ...(token.outId ? { OutId: token.outId } : {}) } };
}

async function signedRequest(endpoint: string, credentials: DypnsCredentials, action: string, params: Record<string, string>, now: Date, nonce: string) {
  if (credentials.signature === "v3") {
    const signed = await signAcs3({
      method: "POST",
      host: new URL(endpoint).host,
      path: "/",
      query: params,
      body: "",
      action,
      version: API_VERSION,
      date: aliyunTimestamp(now),
      nonce,
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
    });
    return { url: `${endpoint}/?${canonicalQuery(params)}`, headers: { ...signed.headers, accept: "application/json" } };
  }
  const all: Record<string, string> = {
    ...params,
    AccessKeyId: credentials.accessKeyId,
    Action: action,
    Format: "JSON",
    SignatureMethod: "HMAC-SHA1",
    SignatureNonce: nonce,
    SignatureVersion: "1.0",
    Timestamp: aliyunTimestamp(now),
    Version: API_VERSION,
  };
  const signature = await rpcSignature("POST", all, credentials.accessKeySecret);
  return { url: `${endpoint}/?${canonicalQuery(all)}&Signature=${percentEncode(signature)}`, headers: { accept: "application/json" } };
}

const answerSchema = z.object({
  Code: z.string(),
  RequestId: z.optional(z.string()),
  GetMobileResultDTO: z.optional(z.partial(z.object({ Mobile: z.string() }))),
  Data: z.optional(z.partial(z.object({ Mobile: z.string() }))),
});

/** Asks Aliyun for the number behind a carrier token. Never throws; never logs (the URL carries the token). */
export async function mobileOfToken(endpoint: string, credentials: DypnsCredentials, token: CarrierToken, timeoutMs: number): Promise<DypnsResult> {
  const { action, params } = request(token);
  const { url, headers } = await signedRequest(endpoint, credentials, action, params, new Date(), toHex(randomBytes(16)));
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  try {
    const response = await fetch(url, { method: "POST", headers, signal });
    status = response.status;
    text = await response.text();
  } catch {
    return { ok: false, kind: "unavailable", code: signal.aborted ? "timeout" : "network_error" };
  }
  let parsed: z.infer<typeof answerSchema> | undefined;
  try {
    const result = answerSchema.safeParse(JSON.parse(text));
    parsed = result.success ? result.data : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed) return { ok: false, kind: "unavailable", code: `http_${status}` };
  const mobile = parsed.GetMobileResultDTO?.Mobile ?? parsed.Data?.Mobile;
  if (parsed.Code === "OK" && status < 300 && mobile) return { ok: true, mobile };
  return { ok: false, kind: classify(parsed.Code, status), code: parsed.Code, requestId: parsed.RequestId };
}

/**
 * A token the carrier refuses (expired, used, forged: isv.TOKEN_INVALID and its kin) is the
 * user's to replace (fall back to SMS); throttling is ours to wait out; everything else (a refused
 * AccessKey, no balance, Aliyun's own faults) is Aliyun being unavailable to us.
 */
function classify(code: string, status: number): "token_refused" | "throttled" | "unavailable" {
  if (/token/i.test(code)) return "token_refused";
  if (code.startsWith("Throttling") || code === "isv.BUSINESS_LIMIT_CONTROL" || status === 429) return "throttled";
  return "unavailable";
}
