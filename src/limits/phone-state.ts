import type { Purpose } from "../codes/purpose";
import type { Config } from "../platform/config";

/**
 * One phone's state, as PhoneGuard stores it under `phone:<E.164>`, and the pure helpers every
 * phone decision starts from: `phoneAt` (the stored state as of `now`, expired parts dropped),
 * `nextSendAt` and `isPhoneEmpty`. The decisions themselves live in phone-sends.ts,
 * code-checks.ts, verification-tokens.ts and password-lockout.ts.
 */

export interface CodeState {
  id: string;
  expiresAt: number;
  attempts: number;
  status: "active" | "used" | "burned";
  /** Whether its verification counts as a success for the range (false for test numbers and unknown resets). */
  countsForRange?: boolean;
  /**
   * When its verification was counted as a success for the range: the minute bucket a reopen must
   * take that success back from (the current minute may be a later one).
   */
  successCountedAt?: number;
  /**
   * A reset code for a number with no account: stored like a real one so that guessing at it
   * answers exactly like guessing at a real one, but no SMS carried it, so it never verifies.
   */
  decoy?: boolean;
}

export interface TokenState {
  purpose: Purpose;
  expiresAt: number;
  /** Step 3 of the password registration: the PBKDF2 string, never the password. */
  passwordHash?: string;
}

export interface PendingSend {
  purpose: Purpose;
  sentAt: number;
  previousCode?: CodeState;
  previousLastSendAt?: number;
}

export interface PhoneState {
  codes: Partial<Record<Purpose, CodeState>>;
  /** Times of sends that count toward the rolling 24-hour cap. */
  sends: number[];
  lastSendAt?: number;
  pending: Record<string, PendingSend>;
  /** Wrong codes over the guess window, whatever code they were aimed at (survives resends). */
  guessFailures: number[];
  lockedUntil?: number;
  tokens: Record<string, TokenState>;
  loginFailures: number[];
}

/** What pruning a phone needs; every phone decision's settings include it. */
export type PhoneSettings = Pick<Config, "RESEND_INTERVAL_SECONDS" | "DAILY_SENDS_PER_PHONE" | "PHONE_GUESS_WINDOW_SECONDS" | "LOGIN_FAILURE_WINDOW_SECONDS">;

export const DAY = 24 * 3600_000;
/** How long a reserved send may wait for its SMS before it can no longer be given back. */
export const PENDING_TTL = 5 * 60_000;

export function emptyPhone(): PhoneState {
  return { codes: {}, sends: [], pending: {}, guessFailures: [], tokens: {}, loginFailures: [] };
}

/** When this phone may be sent a new code: cooldown, the rolling daily cap and a lock. */
export function nextSendAt(state: PhoneState, settings: Pick<Config, "RESEND_INTERVAL_SECONDS" | "DAILY_SENDS_PER_PHONE">, now: number): number {
  let at = now;
  if (state.lastSendAt !== undefined) at = Math.max(at, state.lastSendAt + settings.RESEND_INTERVAL_SECONDS * 1000);
  if (state.sends.length >= settings.DAILY_SENDS_PER_PHONE) {
    const sorted = [...state.sends].sort((a, b) => a - b);
    at = Math.max(at, sorted[state.sends.length - settings.DAILY_SENDS_PER_PHONE]! + DAY);
  }
  if (state.lockedUntil !== undefined) at = Math.max(at, state.lockedUntil);
  return at;
}

/**
 * A copy of the stored state (or an empty one) as of `now`: sends, failures, locks, codes, tokens
 * and pending sends that have run out are dropped. Idempotent; the input is left untouched.
 */
export function phoneAt(stored: PhoneState | undefined, settings: PhoneSettings, now: number): PhoneState {
  const state = stored ? structuredClone(stored) : emptyPhone();
  state.sends = state.sends.filter((t) => t > now - DAY);
  state.guessFailures = state.guessFailures.filter((t) => t > now - settings.PHONE_GUESS_WINDOW_SECONDS * 1000);
  state.loginFailures = state.loginFailures.filter((t) => t > now - settings.LOGIN_FAILURE_WINDOW_SECONDS * 1000);
  if (state.lockedUntil !== undefined && state.lockedUntil <= now) delete state.lockedUntil;
  if (state.lastSendAt !== undefined && state.lastSendAt <= now - settings.RESEND_INTERVAL_SECONDS * 1000 && state.sends.length === 0) {
    delete state.lastSendAt;
  }
  for (const [purpose, code] of Object.entries(state.codes)) {
    // A burned code is kept until a resend is possible: it is what answers "too many attempts".
    if (code.expiresAt <= now && (code.status !== "burned" || nextSendAt(state, settings, now) <= now)) delete state.codes[purpose as Purpose];
  }
  for (const [jti, token] of Object.entries(state.tokens)) if (token.expiresAt <= now) delete state.tokens[jti];
  for (const [id, pending] of Object.entries(state.pending)) if (pending.sentAt <= now - PENDING_TTL) delete state.pending[id];
  return state;
}

/** Nothing left worth keeping: the key is deleted instead of written. */
export function isPhoneEmpty(state: PhoneState): boolean {
  return (
    state.sends.length === 0 &&
    state.guessFailures.length === 0 &&
    state.loginFailures.length === 0 &&
    state.lockedUntil === undefined &&
    state.lastSendAt === undefined &&
    Object.keys(state.codes).length === 0 &&
    Object.keys(state.tokens).length === 0 &&
    Object.keys(state.pending).length === 0
  );
}
