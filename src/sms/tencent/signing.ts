/**
 * Tencent Cloud API 3.0 request signing (TC3-HMAC-SHA256) as a pure function of its inputs: the
 * time is a parameter, never read here, so the unit tests can replay Tencent's published example.
 * Only crypto.subtle: no node:crypto.
 *
 *   CanonicalRequest = POST \n / \n (empty query) \n content-type:…\nhost:…\n \n content-type;host \n hex(sha256(body))
 *   StringToSign     = TC3-HMAC-SHA256 \n timestamp \n date/service/tc3_request \n hex(sha256(CanonicalRequest))
 *   key              = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")
 *   Signature        = hex(HMAC(key, StringToSign))
 *
 * where date is the UTC date (yyyy-MM-dd) of the timestamp.
 */
import { sha256Hex, toHex, utf8 } from "../../platform/crypto";

export const TC3_ALGORITHM = "TC3-HMAC-SHA256";

export interface Tc3Input {
  /** The API's service name, the first label of its host: "sms", "cvm". */
  service: string;
  /** Host as sent (with the port when not the default): it is a signed header. */
  host: string;
  /** The exact JSON body. */
  payload: string;
  /** Content-Type as sent; signed. */
  contentType: string;
  /** Unix seconds: X-TC-Timestamp. */
  timestamp: number;
  secretId: string;
  secretKey: string;
}

export interface Tc3Signed {
  canonicalRequest: string;
  hashedCanonicalRequest: string;
  credentialScope: string;
  stringToSign: string;
  signature: string;
  authorization: string;
}

async function hmacBytes(key: Uint8Array<ArrayBuffer> | ArrayBuffer, message: string): Promise<ArrayBuffer> {
  const imported = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", imported, utf8(message));
}

/** The UTC date of a Unix timestamp, yyyy-MM-dd (UTC, never the local zone: Tencent's scope is UTC). */
export function tc3Date(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

export async function signTc3(input: Tc3Input): Promise<Tc3Signed> {
  const signedHeaders = "content-type;host";
  const canonicalHeaders = `content-type:${input.contentType.trim().toLowerCase()}\nhost:${input.host.trim().toLowerCase()}\n`;
  const canonicalRequest = ["POST", "/", "", canonicalHeaders, signedHeaders, await sha256Hex(input.payload)].join("\n");
  const hashedCanonicalRequest = await sha256Hex(canonicalRequest);
  const date = tc3Date(input.timestamp);
  const credentialScope = `${date}/${input.service}/tc3_request`;
  const stringToSign = `${TC3_ALGORITHM}\n${input.timestamp}\n${credentialScope}\n${hashedCanonicalRequest}`;
  const secretDate = await hmacBytes(utf8(`TC3${input.secretKey}`), date);
  const secretService = await hmacBytes(secretDate, input.service);
  const secretSigning = await hmacBytes(secretService, "tc3_request");
  const signature = toHex(await hmacBytes(secretSigning, stringToSign));
  return {
    canonicalRequest,
    hashedCanonicalRequest,
    credentialScope,
    stringToSign,
    signature,
    authorization: `${TC3_ALGORITHM} Credential=${input.secretId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
