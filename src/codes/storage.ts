import { hmac, toBase64Url } from "../platform/crypto";
import type { Purpose } from "./purpose";

/**
 * What KV holds for a (purpose, phone): the current code's id and keyed hash, never the code.
 * KV and not a Durable Object because a code is written once and read once or twice, and KV reads
 * are cheap everywhere; whether the code is still current, unused and unlocked is the phone's
 * Durable Object's decision (KV is eventually consistent, so it never decides single use).
 */
export interface StoredCode {
  id: string;
  mac: string;
  /** The SMS provider that carried the code (absent for test numbers): verifications are counted per provider. */
  provider?: string;
}

export const codeKey = (purpose: Purpose, phone: string) => `code:${purpose}:${phone}`;

/** A KV value this Worker wrote; anything else (a hand edit, an old format) counts as no code. */
export function readStoredCode(raw: string | null): StoredCode | undefined {
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<StoredCode> | null;
    if (typeof value?.id !== "string" || typeof value.mac !== "string") return undefined;
    return typeof value.provider === "string" ? { id: value.id, mac: value.mac, provider: value.provider } : { id: value.id, mac: value.mac };
  } catch {
    return undefined;
  }
}

/**
 * What a code's MAC binds it to besides its purpose: the phone, and for codes that act on an
 * account (change_phone, reauthenticate) the id of the user who asked, so a code or token asked for
 * by one account is worthless to another. The KV key stays per phone.
 */
export const boundTo = (phone: string, subject?: string) => (subject === undefined ? phone : `${phone}|user:${subject}`);

/** The HMAC binds the code to its phone, purpose and issue, so a leaked KV value is useless elsewhere. */
export async function codeMac(secret: string, codeId: string, phone: string, purpose: Purpose, code: string): Promise<ArrayBuffer> {
  return hmac(secret, `code|${codeId}|${phone}|${purpose}|${code}`);
}

/** The KV value for a code: its id, its keyed hash and the provider that carried it. */
export async function storedCode(secret: string, codeId: string, phone: string, purpose: Purpose, code: string, provider?: string): Promise<string> {
  const stored: StoredCode = { id: codeId, mac: toBase64Url(await codeMac(secret, codeId, phone, purpose, code)), ...(provider ? { provider } : {}) };
  return JSON.stringify(stored);
}
