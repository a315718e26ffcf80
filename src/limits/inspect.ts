import { type Buckets, prune, total } from "./window";

/**
 * What an operator sees of a phone's and a range's limits (GET /v1/admin/phones/{phone}), and
 * the two things an operator may undo: a phone's lock and a range's block. Pure functions of
 * (state, settings, now) like every other decision here; the Durable Object only loads and saves.
 */

export interface PhoneLimitState {
  sends: number[];
  lastSendAt?: number;
  guessFailures: number[];
  lockedUntil?: number;
  loginFailures: number[];
}

export interface RangeLimitState {
  sends: Buckets;
  successes: Buckets;
  blockedUntil?: number;
  blockedBy?: string;
}

export interface InspectSettings {
  RESEND_INTERVAL_SECONDS: number;
  LOGIN_MAX_FAILURES: number;
  PREFIX_WINDOW_SECONDS: number;
}

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

export function rangeView(range: RangeLimitState, settings: InspectSettings, now: number): RangeView {
  const windowMs = settings.PREFIX_WINDOW_SECONDS * 1000;
  const blocked = range.blockedUntil !== undefined && range.blockedUntil > now;
  return {
    sends: total(prune(range.sends, now, windowMs)),
    verified: total(prune(range.successes, now, windowMs)),
    blockedUntil: blocked ? range.blockedUntil! : null,
  };
}

/** `phone` and `range` as the Durable Object loaded them (already pruned to their windows). */
export function phoneView(phone: PhoneLimitState, range: RangeLimitState, settings: InspectSettings, now: number): PhoneView {
  const cooldownEnds = phone.lastSendAt === undefined ? now : phone.lastSendAt + settings.RESEND_INTERVAL_SECONDS * 1000;
  return {
    cooldownSeconds: Math.max(0, Math.ceil((cooldownEnds - now) / 1000)),
    sendsLast24h: phone.sends.length,
    failedGuesses: phone.guessFailures.length,
    lockedUntil: phone.lockedUntil !== undefined && phone.lockedUntil > now ? phone.lockedUntil : null,
    passwordFailures: phone.loginFailures.length,
    passwordLocked: phone.loginFailures.length >= settings.LOGIN_MAX_FAILURES,
    range: rangeView(range, settings, now),
  };
}

/**
 * An operator's unlock: the guess lock, the failed-guess count and the daily send count go, and
 * so do the password-login failures (a password lockout is the same "I am locked out" ticket).
 * The resend cooldown and the codes stay: a minute's wait is not a lock, and a live code is the user's.
 */
export function unlockPhone<T extends PhoneLimitState>(phone: T): T {
  const { lockedUntil: _lock, ...rest } = phone;
  return { ...rest, guessFailures: [], sends: [], loginFailures: [] } as unknown as T;
}

/**
 * Lifts a range's block and forgets the window's sends and successes with it: the operator has
 * judged the range sound, and counts that still fail the ratio would block it again at its next send.
 */
export function liftRange<T extends RangeLimitState>(range: T, now: number): { range: T; lifted: boolean } {
  const lifted = range.blockedUntil !== undefined && range.blockedUntil > now;
  if (!lifted) return { range, lifted };
  const { blockedUntil: _until, blockedBy: _by, ...rest } = range;
  return { range: { ...rest, sends: {}, successes: {} } as unknown as T, lifted };
}
