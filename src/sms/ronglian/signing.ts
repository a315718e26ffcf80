/**
 * Ronglian (cloopen) request signing as pure functions of their inputs (the time is a parameter),
 * so the unit tests can replay them. Only crypto.subtle (platform/crypto.ts): no node:crypto.
 */
import { toBase64, toHex, utf8 } from "../../platform/crypto";

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

/**
 * yyyyMMddHHmmss in Beijing time (UTC+8, no daylight saving), which Ronglian checks the request
 * against. Computed from the instant, not the runtime's time zone: Workers run in UTC, a test
 * machine may not.
 */
export function beijingTimestamp(now: Date): string {
  const t = new Date(now.getTime() + BEIJING_OFFSET_MS);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(t.getUTCFullYear(), 4)}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`;
}

/** The `sig` query parameter: uppercase hex MD5 of account SID + auth token + timestamp. */
export async function ronglianSig(accountSid: string, authToken: string, timestamp: string): Promise<string> {
  // MD5 is Ronglian's choice, not ours; workerd's crypto.subtle.digest implements it.
  return toHex(await crypto.subtle.digest("MD5", utf8(`${accountSid}${authToken}${timestamp}`))).toUpperCase();
}

/** The Authorization header: base64 of "SID:timestamp" (the timestamp the sig was made with). */
export function ronglianAuthorization(accountSid: string, timestamp: string): string {
  return toBase64(utf8(`${accountSid}:${timestamp}`));
}
