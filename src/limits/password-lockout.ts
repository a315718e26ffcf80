import type { Config } from "../platform/config";
import type { Decision } from "./decision";
import { type PhoneSettings, type PhoneState, phoneAt } from "./phone-state";

/**
 * Password-login lockout per phone, as a pure decision: LOGIN_MAX_FAILURES failures within
 * LOGIN_FAILURE_WINDOW_SECONDS refuse further tries until the oldest counted failure leaves the
 * window; a success clears the failures. Separate from the code-guess lock (code-checks.ts).
 */

export type LockoutSettings = PhoneSettings & Pick<Config, "LOGIN_MAX_FAILURES">;

/** `lockedNow`: this failure was the one that locked the phone (logged once, as password.locked). */
export type LoginResult = { ok: true; lockedNow: boolean } | { ok: false; reason: "locked"; retryAfterMs: number };

/**
 * Records one password login's outcome, or refuses it while the phone is locked out. Called after
 * the hash was checked, so that a locked phone learns nothing about the password.
 */
export function recordLogin(stored: PhoneState | undefined, settings: LockoutSettings, now: number, success: boolean): Decision<LoginResult, PhoneState> {
  const state = phoneAt(stored, settings, now);
  const windowMs = settings.LOGIN_FAILURE_WINDOW_SECONDS * 1000;
  if (state.loginFailures.length >= settings.LOGIN_MAX_FAILURES) {
    const sorted = [...state.loginFailures].sort((a, b) => a - b);
    const freeAt = sorted[state.loginFailures.length - settings.LOGIN_MAX_FAILURES]! + windowMs;
    return { result: { ok: false, reason: "locked", retryAfterMs: freeAt - now }, state: undefined };
  }
  if (success) state.loginFailures = [];
  else state.loginFailures.push(now);
  return { result: { ok: true, lockedNow: !success && state.loginFailures.length === settings.LOGIN_MAX_FAILURES }, state };
}
