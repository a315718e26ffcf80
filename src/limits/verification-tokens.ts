import type { Purpose } from "../codes/purpose";
import type { Decision } from "./decision";
import { type PhoneSettings, type PhoneState, phoneAt } from "./phone-state";

/**
 * Single use of verification tokens, as pure decisions. A token's id is registered by a right code
 * (code-checks.ts) and removed when the token is spent, so a copy of a spent token is worthless.
 * Each token carries its own expiry; the settings are only what pruning the phone needs.
 */

export type TokenResult = { ok: true; passwordHash?: string } | { ok: false; reason: "invalid" | "password_required" };

const invalid = (): Decision<TokenResult, PhoneState> => ({ result: { ok: false, reason: "invalid" }, state: undefined });

/** Spends a token (reset, change of phone). */
export function consume(
  stored: PhoneState | undefined,
  settings: PhoneSettings,
  now: number,
  request: { jti: string; purpose: Purpose },
): Decision<TokenResult, PhoneState> {
  const state = phoneAt(stored, settings, now);
  const token = state.tokens[request.jti];
  if (!token || token.purpose !== request.purpose) return invalid();
  delete state.tokens[request.jti];
  return { result: { ok: true }, state };
}

/** Whether a token is registered and not yet spent (read only: register step 3 asks before hashing). */
export function isLive(stored: PhoneState | undefined, settings: PhoneSettings, now: number, request: { jti: string; purpose: Purpose }): boolean {
  const token = phoneAt(stored, settings, now).tokens[request.jti];
  return token !== undefined && token.purpose === request.purpose;
}

/** Step 3 of the password registration: keeps the hash beside the token, until it expires. Repeatable. */
export function stagePassword(
  stored: PhoneState | undefined,
  settings: PhoneSettings,
  now: number,
  request: { jti: string; passwordHash: string },
): Decision<TokenResult, PhoneState> {
  const state = phoneAt(stored, settings, now);
  const token = state.tokens[request.jti];
  if (token?.purpose !== "register") return invalid();
  token.passwordHash = request.passwordHash;
  return { result: { ok: true }, state };
}

/** Step 4: spends the token and hands over the staged hash; without step 3 the token stays usable. */
export function takeRegistration(stored: PhoneState | undefined, settings: PhoneSettings, now: number, jti: string): Decision<TokenResult, PhoneState> {
  const state = phoneAt(stored, settings, now);
  const token = state.tokens[jti];
  if (token?.purpose !== "register") return invalid();
  if (!token.passwordHash) return { result: { ok: false, reason: "password_required" }, state: undefined };
  delete state.tokens[jti];
  return { result: { ok: true, passwordHash: token.passwordHash }, state };
}

/** Puts a spent token back (the work it was spent on failed for a reason that is not the user's); an expired one stays gone. */
export function restore(
  stored: PhoneState | undefined,
  settings: PhoneSettings,
  now: number,
  request: { jti: string; purpose: Purpose; expiresAt: number; passwordHash?: string | undefined },
): Decision<void, PhoneState> {
  if (request.expiresAt <= now) return { result: undefined, state: undefined };
  const state = phoneAt(stored, settings, now);
  const { purpose, expiresAt, passwordHash } = request;
  state.tokens[request.jti] = passwordHash ? { purpose, expiresAt, passwordHash } : { purpose, expiresAt };
  return { result: undefined, state };
}
