import type { Purpose } from "../codes/purpose";
import type { Config } from "../platform/config";
import type { Decision } from "./decision";
import { nextSendAt, type PhoneSettings, type PhoneState, phoneAt } from "./phone-state";

/**
 * Guesses at a phone's current code, as pure decisions: each wrong guess counts against the code
 * (MAX_VERIFY_ATTEMPTS burn it) and against the phone (PHONE_MAX_FAILED_GUESSES in the guess
 * window lock it); a right one spends the code and may register a verification token. A reopen
 * gives a spent code back, with the range success it was counted as.
 */

export type CheckSettings = PhoneSettings & Pick<Config, "MAX_VERIFY_ATTEMPTS" | "PHONE_MAX_FAILED_GUESSES" | "PHONE_LOCK_SECONDS">;

export type CheckResult =
  | { ok: true }
  | { ok: false; reason: "expired" }
  | { ok: false; reason: "invalid"; attemptsLeft: number; lockedNow: boolean }
  | { ok: false; reason: "too_many_attempts" | "locked"; retryAfterMs: number };

export interface Guess {
  purpose: Purpose;
  /** The id of the code the Worker compared against (from KV). */
  codeId: string;
  /** The outcome of the constant-time comparison the Worker made. */
  matches: boolean;
  issueToken?: { jti: string; expiresAt: number } | undefined;
}

export interface CheckDecision extends Decision<CheckResult, PhoneState> {
  /** The guess spent a code that counts for the range: count one success for it at `now`. */
  countSuccess: boolean;
}

export function check(stored: PhoneState | undefined, settings: CheckSettings, now: number, guess: Guess): CheckDecision {
  const state = phoneAt(stored, settings, now);
  const refuse = (result: CheckResult): CheckDecision => ({ result, state: undefined, countSuccess: false });

  if (state.lockedUntil !== undefined) return refuse({ ok: false, reason: "locked", retryAfterMs: state.lockedUntil - now });
  const code = state.codes[guess.purpose];
  if (code?.status === "burned" && code.id === guess.codeId) {
    return refuse({ ok: false, reason: "too_many_attempts", retryAfterMs: nextSendAt(state, settings, now) - now });
  }
  if (!code || code.id !== guess.codeId || code.status !== "active" || code.expiresAt <= now) return refuse({ ok: false, reason: "expired" });

  if (guess.matches && !code.decoy) {
    code.status = "used";
    if (code.countsForRange) code.successCountedAt = now;
    if (guess.issueToken) state.tokens[guess.issueToken.jti] = { purpose: guess.purpose, expiresAt: guess.issueToken.expiresAt };
    return { result: { ok: true }, state, countSuccess: code.countsForRange === true };
  }

  code.attempts += 1;
  if (code.attempts >= settings.MAX_VERIFY_ATTEMPTS) code.status = "burned";
  let lockedNow = false;
  // A decoy (a reset to a number with no account) answers like a real code, but guesses at it do
  // not count toward the phone's lock: no SMS reached anyone, so locking the number that way
  // would be a lockout that costs no real send (issue 10).
  if (!code.decoy) state.guessFailures.push(now);
  if (!code.decoy && state.guessFailures.length >= settings.PHONE_MAX_FAILED_GUESSES) {
    state.lockedUntil = now + settings.PHONE_LOCK_SECONDS * 1000;
    lockedNow = true;
  }
  const attemptsLeft = lockedNow ? 0 : settings.MAX_VERIFY_ATTEMPTS - code.attempts;
  return { result: { ok: false, reason: "invalid", attemptsLeft, lockedNow }, state, countSuccess: false };
}

export interface Reopen {
  purpose: Purpose;
  codeId: string;
  /** The verification token the spent code issued, voided with the reopen. */
  jti?: string | undefined;
}

/**
 * Undoes a successful check whose request was refused anyway: the code is usable again and the
 * token it issued is void. `result.takeBackSuccessAt` is when the code's range success was
 * counted, so the range takes it back from that minute's bucket (not the current one's).
 */
export function reopen(
  stored: PhoneState | undefined,
  settings: PhoneSettings,
  now: number,
  request: Reopen,
): Decision<{ takeBackSuccessAt?: number }, PhoneState> {
  const state = phoneAt(stored, settings, now);
  const code = state.codes[request.purpose];
  let takeBackSuccessAt: number | undefined;
  if (code?.id === request.codeId && code.status === "used") {
    code.status = "active";
    // Its success is taken back too, or one owned number could prop up its range's ratio. A code
    // stored before successCountedAt existed falls back to the current minute, as it used to.
    if (code.countsForRange) takeBackSuccessAt = code.successCountedAt ?? now;
    delete code.successCountedAt;
  }
  if (request.jti) delete state.tokens[request.jti];
  return { result: takeBackSuccessAt === undefined ? {} : { takeBackSuccessAt }, state };
}
