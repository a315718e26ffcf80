import type { Decision } from "./decision";
import { add, type Buckets, msUntilBelow, prune, take, total } from "./window";

/**
 * One client address's sliding hour for one kind of request (ClientGuard keeps one per kind), as
 * pure decisions: a request is counted if the hour holds fewer than `limit`; a refused request is
 * not counted, so the address is held at the limit and its wait ends when the oldest counted
 * requests age out.
 */

export type HitResult = { ok: true } | { ok: false; retryAfterMs: number };

/** The limit comes with each call (IP_SENDS_PER_HOUR or IP_VERIFICATIONS_PER_HOUR, by kind). */
export interface ClientSettings {
  limit: number;
}

export const CLIENT_WINDOW_MS = 3600_000;

/** The hour is full: nothing is counted, and the wait ends when enough of it ages out. */
const refused = (buckets: Buckets, settings: ClientSettings, now: number) => ({
  result: { ok: false as const, retryAfterMs: msUntilBelow(buckets, now, CLIENT_WINDOW_MS, settings.limit) },
  state: undefined,
});

export function hit(stored: Buckets | undefined, settings: ClientSettings, now: number): Decision<HitResult, Buckets> {
  const buckets = prune(stored ?? {}, now, CLIENT_WINDOW_MS);
  if (total(buckets) >= settings.limit) return refused(buckets, settings, now);
  return { result: { ok: true }, state: add(buckets, now) };
}

/** A block of an address's hour, counted when granted (src/limits/client-pool.ts holds it). */
export type LeaseResult = { ok: true; granted: number } | { ok: false; retryAfterMs: number };

/** A block may hold at most this fraction (1/n) of what is left of the hour. */
export const LEASE_DIVISOR = 16;

/**
 * Counts up to `want` requests at once, for an isolate that takes them one by one without asking
 * (a busy address, src/limits/client-pool.ts). Never more than what is left of the hour, nor more
 * than 1/LEASE_DIVISOR of it (at least 1): a small limit is never leased in blocks, and the last
 * requests of an hour go one by one, exactly as hit() counts them.
 */
export function lease(stored: Buckets | undefined, settings: ClientSettings, want: number, now: number): Decision<LeaseResult, Buckets> {
  const buckets = prune(stored ?? {}, now, CLIENT_WINDOW_MS);
  const left = settings.limit - total(buckets);
  if (left <= 0) return refused(buckets, settings, now);
  const granted = Math.max(1, Math.min(Math.floor(want), left, Math.floor(left / LEASE_DIVISOR)));
  return { result: { ok: true, granted }, state: add(buckets, now, granted) };
}

/**
 * Gives back `amount` requests counted at `at` (another layer of the same client refused one: a
 * refused request is not counted; or a block's unused rest). Taken from the minute of `at` only,
 * never below zero: the caller passes the time they were counted, so across a minute boundary the
 * count may stay (the safe side).
 */
export function release(stored: Buckets | undefined, now: number, at: number, amount = 1): Decision<void, Buckets> {
  if (!stored) return { result: undefined, state: undefined };
  return { result: undefined, state: take(prune(stored, now, CLIENT_WINDOW_MS), at, amount) };
}

/** For the cleanup alarm: what is left of the hour, or undefined when nothing is. */
export function sweep(stored: Buckets | undefined, now: number): Buckets | undefined {
  const buckets = prune(stored ?? {}, now, CLIENT_WINDOW_MS);
  return total(buckets) === 0 ? undefined : buckets;
}
