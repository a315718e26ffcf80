import type { Config } from "../platform/config";
import { dayOf, type Today } from "./budget";
import type { Decision } from "./decision";
import { type PhoneSettings, type PhoneState, phoneAt } from "./phone-state";
import { type RangeSettings, type RangeState, rangeAt } from "./range";
import { total } from "./window";

/**
 * What an operator sees of a phone's and a range's limits and of today's budget (the admin API,
 * src/admin/), and the two things an operator may undo: a phone's lock and a range's block. Pure
 * decisions of (stored state, settings, now) like every other here; the Durable Objects only load,
 * decide and save.
 */

export type InspectSettings = PhoneSettings & RangeSettings & Pick<Config, "LOGIN_MAX_FAILURES">;

export interface RangeView {
  /** Sends and verified codes over the range's window (PREFIX_WINDOW_SECONDS). */
  sends: number;
  verified: number;
  blockedUntil: number | null;
}

export interface PhoneView {
  cooldownSeconds: number;
  sendsLast24h: number;
  failedGuesses: number;
  lockedUntil: number | null;
  passwordFailures: number;
  passwordLocked: boolean;
  range: RangeView;
}

export function rangeView(stored: RangeState | undefined, settings: RangeSettings, now: number): RangeView {
  const range = rangeAt(stored, settings, now);
  return { sends: total(range.sends), verified: total(range.successes), blockedUntil: range.blockedUntil ?? null };
}

export function phoneView(stored: PhoneState | undefined, range: RangeState | undefined, settings: InspectSettings, now: number): PhoneView {
  const phone = phoneAt(stored, settings, now);
  const cooldownEnds = phone.lastSendAt === undefined ? now : phone.lastSendAt + settings.RESEND_INTERVAL_SECONDS * 1000;
  return {
    cooldownSeconds: Math.max(0, Math.ceil((cooldownEnds - now) / 1000)),
    sendsLast24h: phone.sends.length,
    failedGuesses: phone.guessFailures.length,
    lockedUntil: phone.lockedUntil ?? null,
    passwordFailures: phone.loginFailures.length,
    passwordLocked: phone.loginFailures.length >= settings.LOGIN_MAX_FAILURES,
    range: rangeView(range, settings, now),
  };
}

/**
 * An operator's unlock: the guess lock, the failed-guess count and the daily send count go, and
 * so do the password-login failures (a password lockout is the same "I am locked out" ticket).
 * The resend cooldown and the codes stay: a minute's wait is not a lock, and a live code is the
 * user's. Nothing stored, nothing to write.
 */
export function unlock(stored: PhoneState | undefined, settings: PhoneSettings, now: number): Decision<void, PhoneState> {
  if (!stored) return { result: undefined, state: undefined };
  const state = phoneAt(stored, settings, now);
  delete state.lockedUntil;
  state.guessFailures = [];
  state.sends = [];
  state.loginFailures = [];
  return { result: undefined, state };
}

/**
 * Lifts a range's block and forgets the window's sends and successes with it: the operator has
 * judged the range sound, and counts that still fail the ratio would block it again at its next
 * send. A range that is not blocked is left as it is.
 */
export function liftBlock(stored: RangeState | undefined, settings: RangeSettings, now: number): Decision<{ lifted: boolean }, RangeState> {
  const range = rangeAt(stored, settings, now);
  if (range.blockedUntil === undefined) return { result: { lifted: false }, state: undefined };
  return { result: { lifted: true }, state: { sends: {}, successes: {} } };
}

/** Today's figures of the SMS budget; takes nothing. */
export function budgetStatus(stored: Today | undefined, settings: { budget: number }, now: number) {
  const day = dayOf(now);
  const spent = stored?.day === day ? stored.spent : 0;
  return { day, budget: settings.budget, spent, left: Math.max(0, settings.budget - spent) };
}
