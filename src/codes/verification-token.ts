import { randomBytes, toBase64Url } from "../platform/crypto";
import { openPayload, signPayload } from "../platform/signed-payload";
import type { Purpose } from "./purpose";
import { PURPOSES } from "./purpose";

/**
 * A verificationToken stands for a code that was just verified, for the next call (password
 * registration steps, a reset, a phone change). It is `v1.<payload>.<mac>`: the payload names the
 * phone, purpose, expiry and a random id; the HMAC makes it unforgeable. Single use is not in the
 * token: the id is registered in the phone's Durable Object when the code is verified and removed
 * when the token is spent, so a copy of a spent token is worthless.
 */
export interface VerificationClaims {
  phone: string;
  purpose: Purpose;
  expiresAt: number;
  jti: string;
  /** The user the token is for (change_phone): only that user's session can spend it. */
  subject?: string;
}

interface Payload {
  p: string;
  u: Purpose;
  x: number;
  j: string;
  s?: string;
}

export function newTokenId(): string {
  return toBase64Url(randomBytes(16));
}

export async function signVerificationToken(secret: string, claims: VerificationClaims): Promise<string> {
  const payload: Payload = {
    p: claims.phone,
    u: claims.purpose,
    x: claims.expiresAt,
    j: claims.jti,
    ...(claims.subject === undefined ? {} : { s: claims.subject }),
  };
  return signPayload(secret, "v1", "vt", payload);
}

/** The claims of an authentic, unexpired token; undefined for anything else. */
export async function readVerificationToken(secret: string, token: string, now = Date.now()): Promise<VerificationClaims | undefined> {
  const payload = (await openPayload(secret, "v1", "vt", token)) as Partial<Payload> | undefined;
  if (!payload) return undefined;
  if (typeof payload.p !== "string" || typeof payload.j !== "string" || typeof payload.x !== "number") return undefined;
  if (!PURPOSES.includes(payload.u as Purpose) || payload.x <= now) return undefined;
  if (payload.s !== undefined && typeof payload.s !== "string") return undefined;
  return { phone: payload.p, purpose: payload.u as Purpose, expiresAt: payload.x, jti: payload.j, ...(payload.s === undefined ? {} : { subject: payload.s }) };
}
