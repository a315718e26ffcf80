import type { Config } from "../platform/config";
import type { Decision } from "./decision";
import { add, type Buckets, prune, take, total } from "./window";

/**
 * A number range's fraud rule (SMS pumping), as pure decisions, on the state PhoneGuard stores
 * under `range`: sends and successful verifications are counted in per-minute buckets over
 * PREFIX_WINDOW_SECONDS; a range with at least PREFIX_MIN_SENDS sends and fewer than
 * PREFIX_MIN_SUCCESS_PERCENT of them verified is blocked for PREFIX_BLOCK_SECONDS. The send that
 * tips the ratio counts too, and the block remembers it: if that send is given back (refused,
 * not delivered), so is the block, so refused requests cannot block a range for free.
 */

export interface RangeState {
  sends: Buckets;
  successes: Buckets;
  blockedUntil?: number;
  /** The send that tripped the block: if that send is given back (refused, not delivered), so is the block. */
  blockedBy?: string;
}

export type RangeSettings = Pick<Config, "PREFIX_MIN_SENDS" | "PREFIX_MIN_SUCCESS_PERCENT" | "PREFIX_WINDOW_SECONDS" | "PREFIX_BLOCK_SECONDS">;

/** A copy of the stored state (or an empty one) as of `now`: old buckets and an ended block dropped. */
export function rangeAt(stored: RangeState | undefined, settings: RangeSettings, now: number): RangeState {
  const windowMs = settings.PREFIX_WINDOW_SECONDS * 1000;
  const state: RangeState = { sends: prune(stored?.sends ?? {}, now, windowMs), successes: prune(stored?.successes ?? {}, now, windowMs) };
  if (stored?.blockedUntil !== undefined && stored.blockedUntil > now) {
    state.blockedUntil = stored.blockedUntil;
    if (stored.blockedBy !== undefined) state.blockedBy = stored.blockedBy;
  }
  return state;
}

/** Nothing left worth keeping: the key is deleted instead of written. */
export function isRangeEmpty(state: RangeState): boolean {
  return total(state.sends) === 0 && total(state.successes) === 0 && state.blockedUntil === undefined;
}

/** Counts one send (id `sendId`) and judges the range with it; `blockedNow`: this send tripped the block. */
export function countSend(stored: RangeState | undefined, settings: RangeSettings, now: number, sendId: string): Decision<{ blockedNow: boolean }, RangeState> {
  const state = rangeAt(stored, settings, now);
  state.sends = add(state.sends, now);
  const sends = total(state.sends);
  const blockedNow = sends >= settings.PREFIX_MIN_SENDS && total(state.successes) * 100 < sends * settings.PREFIX_MIN_SUCCESS_PERCENT;
  if (blockedNow) {
    state.blockedUntil = now + settings.PREFIX_BLOCK_SECONDS * 1000;
    state.blockedBy = sendId;
  }
  return { result: { blockedNow }, state };
}

/** Takes back a send that was not delivered, from the minute it was counted in, and lifts the block it tripped. */
export function uncountSend(
  stored: RangeState | undefined,
  settings: RangeSettings,
  now: number,
  send: { sendId: string; sentAt: number },
): Decision<void, RangeState> {
  const state = rangeAt(stored, settings, now);
  state.sends = take(state.sends, send.sentAt);
  if (state.blockedBy === send.sendId) {
    delete state.blockedUntil;
    delete state.blockedBy;
  }
  return { result: undefined, state };
}

/** Counts one successful verification at `now`. */
export function countSuccess(stored: RangeState | undefined, settings: RangeSettings, now: number): Decision<void, RangeState> {
  const state = rangeAt(stored, settings, now);
  state.successes = add(state.successes, now);
  return { result: undefined, state };
}

/** Takes back a success counted at `countedAt`, from that minute's bucket (not the current one's). */
export function uncountSuccess(stored: RangeState | undefined, settings: RangeSettings, now: number, countedAt: number): Decision<void, RangeState> {
  const state = rangeAt(stored, settings, now);
  state.successes = take(state.successes, countedAt);
  return { result: undefined, state };
}
