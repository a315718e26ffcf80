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

export function hit(stored: Buckets | undefined, settings: ClientSettings, now: number): Decision<HitResult, Buckets> {
  const buckets = prune(stored ?? {}, now, CLIENT_WINDOW_MS);
  if (total(buckets) >= settings.limit) {
    return { result: { ok: false, retryAfterMs: msUntilBelow(buckets, now, CLIENT_WINDOW_MS, settings.limit) }, state: undefined };
  }
  return { result: { ok: true }, state: add(buckets, now) };
}

/**
 * Gives back a request counted at `at` (another layer of the same client refused it: a refused
 * request is not counted). Taken from the minute of `at` only, never below zero: the caller passes
 * the time it asked, so across a minute boundary the count may stay (the safe side).
 */
export function release(stored: Buckets | undefined, now: number, at: number): Decision<void, Buckets> {
  if (!stored) return { result: undefined, state: undefined };
  return { result: undefined, state: take(prune(stored, now, CLIENT_WINDOW_MS), at) };
}

/** For the cleanup alarm: what is left of the hour, or undefined when nothing is. */
export function sweep(stored: Buckets | undefined, now: number): Buckets | undefined {
  const buckets = prune(stored ?? {}, now, CLIENT_WINDOW_MS);
  return total(buckets) === 0 ? undefined : buckets;
}
