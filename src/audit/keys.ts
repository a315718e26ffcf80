import { clientKey } from "../limits/client-key";
import { hmac, toHex } from "../platform/crypto";

/**
 * How the audit trail names a phone and a client without keeping either: an HMAC with AUTH_SECRET.
 * Keyed, unlike a plain hash, because a phone number has so few possible values that a plain
 * SHA-256 of it is reversed by trying them all; with the key, only this deployment can compute it
 * (to look a phone up) and a copy of the table alone reveals nothing.
 */
export async function phoneHash(secret: string, e164: string): Promise<string> {
  return toHex(await hmac(secret, `audit-phone|${e164}`));
}

/** 16 hex digits of a keyed hash of the client's address key (an IPv4 address or an IPv6 /64). */
export async function clientHash(secret: string, address: string | undefined): Promise<string> {
  return toHex(await hmac(secret, `audit-client|${clientKey(address)}`)).slice(0, 16);
}
