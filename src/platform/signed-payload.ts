import { fromBase64Url, hmac, timingSafeEqual, toBase64Url, utf8 } from "./crypto";

/**
 * A small JSON payload made unforgeable: `<version>.<base64url JSON>.<base64url HMAC-SHA256>`.
 * The HMAC covers `<domain>|<body>`, so a value signed for one use (a verification token, a WeChat
 * ticket) is never valid as another even under the same secret. What the payload means, and any
 * single-use rule, is the caller's.
 */
export async function signPayload(secret: string, version: string, domain: string, payload: object): Promise<string> {
  const body = toBase64Url(utf8(JSON.stringify(payload)));
  const mac = toBase64Url(await hmac(secret, `${domain}|${body}`));
  return `${version}.${body}.${mac}`;
}

/**
 * The payload of an authentic value of this version and domain (MAC compared in constant time),
 * as untyped JSON for the caller to check field by field; undefined for anything else.
 */
export async function openPayload(secret: string, version: string, domain: string, value: string): Promise<Record<string, unknown> | undefined> {
  const parts = value.split(".");
  const [given, body, mac] = parts;
  if (parts.length !== 3 || given !== version || !body || !mac) return undefined;
  const actual = fromBase64Url(mac);
  if (!actual || !timingSafeEqual(actual, await hmac(secret, `${domain}|${body}`))) return undefined;
  const raw = fromBase64Url(body);
  if (!raw) return undefined;
  try {
    const payload: unknown = JSON.parse(new TextDecoder().decode(raw));
    return payload !== null && typeof payload === "object" && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
