import { ApiError } from "../http/errors/api-error";
import { phoneGuard } from "../limits/stubs";
import { type Phone, parsePhone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import type { Purpose } from "./purpose";
import { readVerificationToken, type VerificationClaims } from "./verification-token";

export interface VerifiedPhone {
  claims: VerificationClaims;
  phone: Phone;
}

/**
 * Reads a verificationToken for `purpose`: 401 invalid_verification_token unless it is authentic,
 * unexpired and of that purpose. This checks the signature only; spending it is the Durable
 * Object's decision (spendToken, or the registration steps).
 */
export async function readTokenFor(scope: RequestScope, token: string, purpose: Purpose, subject?: string): Promise<VerifiedPhone> {
  const claims = await readVerificationToken(scope.config.AUTH_SECRET, token);
  // A token for a user (change_phone) is spent only by that user's session.
  if (!claims || claims.purpose !== purpose || claims.subject !== subject) throw new ApiError("invalid_verification_token");
  return { claims, phone: parsePhone(claims.phone) };
}

/** Spends a token in the phone's Durable Object: exactly one caller ever gets past this. */
export async function spendToken(scope: RequestScope, verified: VerifiedPhone): Promise<void> {
  const { claims, phone } = verified;
  const result = await phoneGuard(scope.env, phone).consumeToken(phone.e164, claims.jti, claims.purpose);
  if (!result.ok) throw new ApiError("invalid_verification_token");
}

/** Gives a spent token back after a failure that was not the user's (e.g. D1 unavailable). */
export async function restoreToken(scope: RequestScope, verified: VerifiedPhone, passwordHash?: string): Promise<void> {
  const { claims, phone } = verified;
  await phoneGuard(scope.env, phone).restoreToken(phone.e164, claims.jti, claims.purpose, claims.expiresAt, passwordHash);
}
