/**
 * Aliyun (Alibaba Cloud OpenAPI) request signing, V2 (RPC, HMAC-SHA1) and V3 (ACS3-HMAC-SHA256), as
 * pure functions of their inputs: time and nonce are parameters, never read here, so the unit tests
 * can replay Aliyun's published examples. Only crypto.subtle (platform/crypto.ts): no node:crypto.
 * Also used by any other Aliyun product signed the same way.
 */
import { hmac, sha256Hex, toBase64, toHex } from "../../platform/crypto";

/** SHA-256 of the empty string, hex. */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * RFC 3986 percent-encoding as Aliyun's gateway recomputes it: only A–Z a–z 0–9 - _ . ~ stay as
 * they are. encodeURIComponent also leaves ! ' ( ) * alone, which Aliyun encodes (a `*` left
 * bare is the classic cause of SignatureDoesNotMatch), so those are encoded by hand.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Parameters sorted by name, each name and value percent-encoded, joined with & — the same string
 * is sent as the URL query, so what is signed is byte for byte what the gateway receives.
 * Names are ASCII, so UTF-16 code-unit order is the byte order Aliyun sorts by.
 */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${percentEncode(name)}=${percentEncode(params[name]!)}`)
    .join("&");
}

/** Aliyun wants ISO 8601 UTC to the second (yyyy-MM-ddTHH:mm:ssZ); toISOString adds milliseconds. */
export function aliyunTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The V2 (RPC, HMAC-SHA1) string to sign: METHOD & encode("/") & encode(canonical query). */
export function rpcStringToSign(method: string, params: Readonly<Record<string, string>>): string {
  return `${method}&${percentEncode("/")}&${percentEncode(canonicalQuery(params))}`;
}

/**
 * Signature V2 ("RPC", SignatureMethod HMAC-SHA1, SignatureVersion 1.0): base64 HMAC-SHA1 of the
 * string to sign, keyed with the secret followed by "&" (an empty token-secret slot Aliyun kept
 * from OAuth 1.0). `params` holds every parameter except Signature itself.
 */
export async function rpcSignature(method: string, params: Readonly<Record<string, string>>, accessKeySecret: string): Promise<string> {
  return toBase64(await hmac(`${accessKeySecret}&`, rpcStringToSign(method, params), "SHA-1"));
}

export interface Acs3Input {
  method: string;
  /** Host as sent (with the port when not the default): it is a signed header. */
  host: string;
  /** "/" for RPC-style APIs such as SendSms. */
  path: string;
  /** Parameters the API metadata places `in: query`. */
  query: Readonly<Record<string, string>>;
  /** The exact request body; "" when there is none. */
  body: string;
  /** Content-Type, when there is a body; signed when present. */
  contentType?: string;
  action: string;
  version: string;
  /** x-acs-date, yyyy-MM-ddTHH:mm:ssZ. */
  date: string;
  nonce: string;
  accessKeyId: string;
  accessKeySecret: string;
}

export interface Acs3Signed {
  canonicalRequest: string;
  hashedCanonicalRequest: string;
  signedHeaders: string;
  signature: string;
  /** Headers to send (host is left to fetch, which derives the same value from the URL). */
  headers: Record<string, string>;
}

/**
 * Signature V3 (ACS3-HMAC-SHA256), following Alibaba Cloud's "V3 request structure and signature":
 *
 *   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n
 *                      SignedHeaders \n hex(sha256(body))
 *
 * where the signed headers are host, content-type (when present) and every x-acs-* header,
 * lowercased, sorted, values trimmed, each line ending in \n; then
 * Signature = hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(sha256(CanonicalRequest)))).
 */
export async function signAcs3(input: Acs3Input): Promise<Acs3Signed> {
  // SendSms goes with every parameter in the query and an empty body: its hash is a constant.
  const hashedPayload = input.body === "" ? EMPTY_SHA256 : await sha256Hex(input.body);
  const sent: Record<string, string> = {
    "x-acs-action": input.action,
    "x-acs-version": input.version,
    "x-acs-date": input.date,
    "x-acs-signature-nonce": input.nonce,
    "x-acs-content-sha256": hashedPayload,
  };
  if (input.contentType !== undefined) sent["content-type"] = input.contentType;
  const signed: Record<string, string> = { ...sent, host: input.host };
  const names = Object.keys(signed).sort();
  const canonicalHeaders = names.map((name) => `${name}:${signed[name]!.trim()}\n`).join("");
  const signedHeaders = names.join(";");
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    canonicalQuery(input.query),
    canonicalHeaders,
    signedHeaders,
    hashedPayload,
  ].join("\n");
  const hashedCanonicalRequest = await sha256Hex(canonicalRequest);
  const signature = toHex(await hmac(input.accessKeySecret, `ACS3-HMAC-SHA256\n${hashedCanonicalRequest}`, "SHA-256"));
  return {
    canonicalRequest,
    hashedCanonicalRequest,
    signedHeaders,
    signature,
    headers: {
      ...sent,
      authorization: `ACS3-HMAC-SHA256 Credential=${input.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`,
    },
  };
}

/** Each path segment percent-encoded, the slashes kept; an empty path is "/". */
function canonicalUri(path: string): string {
  if (path === "") return "/";
  return path.split("/").map(percentEncode).join("/");
}
