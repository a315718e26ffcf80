import type { Purpose } from "../codes/purpose";
import type { Config } from "../platform/config";
import type { Decision } from "./decision";
import { nextSendAt, type PendingSend, type PhoneSettings, type PhoneState, phoneAt } from "./phone-state";

/**
 * Sends to one phone, as pure decisions: the resend cooldown, the rolling 24-hour cap and the
 * lock (set by code-checks.ts) decide whether a code may be sent; a reservation can be given back
 * while its SMS has not gone out. The number range's fraud rule is range.ts; its block is passed
 * in, so the refusal order (lock, range, cooldown, cap) stays in one place.
 */

export type SendSettings = PhoneSettings & Pick<Config, "CODE_TTL_SECONDS">;

export interface Refusal {
  ok: false;
  reason: "cooldown" | "daily_cap" | "locked" | "range_blocked";
  retryAfterMs: number;
}

/**
 * `replacesCode`: the phone already had a code for this purpose, which the new one replaces (the
 * caller keeps its stored copy, to put back if the new SMS is not delivered).
 */
export type ReserveResult = { ok: true; codeId: string; replacesCode: boolean } | Refusal;

export interface SendRequest {
  purpose: Purpose;
  /** The new code's id, made by the caller (the decision draws no randomness). */
  codeId: string;
  countForRange: boolean;
  decoy?: boolean;
  /** The number range's block, if it is blocked now (range.ts `rangeAt`). */
  rangeBlockedUntil?: number;
}

const refuse = (reason: Refusal["reason"], retryAfterMs: number): Decision<ReserveResult, PhoneState> => ({
  result: { ok: false, reason, retryAfterMs },
  state: undefined,
});

/**
 * Checks every send limit and, if all pass, records the send and makes the new code the phone's
 * current code for `purpose` (replacing the old one, which is kept in `pending` to be given back).
 */
export function reserve(stored: PhoneState | undefined, settings: SendSettings, now: number, request: SendRequest): Decision<ReserveResult, PhoneState> {
  const state = phoneAt(stored, settings, now);
  const resendAt = state.lastSendAt === undefined ? undefined : state.lastSendAt + settings.RESEND_INTERVAL_SECONDS * 1000;

  if (state.lockedUntil !== undefined) return refuse("locked", state.lockedUntil - now);
  if (request.rangeBlockedUntil !== undefined && request.rangeBlockedUntil > now) return refuse("range_blocked", request.rangeBlockedUntil - now);
  if (resendAt !== undefined && now < resendAt) return refuse("cooldown", resendAt - now);
  if (state.sends.length >= settings.DAILY_SENDS_PER_PHONE) return refuse("daily_cap", nextSendAt(state, settings, now) - now);

  const { purpose, codeId } = request;
  const replacesCode = state.codes[purpose] !== undefined;
  state.pending[codeId] = { purpose, sentAt: now, previousCode: state.codes[purpose], previousLastSendAt: state.lastSendAt };
  state.codes[purpose] = {
    id: codeId,
    expiresAt: now + settings.CODE_TTL_SECONDS * 1000,
    attempts: 0,
    status: "active",
    countsForRange: request.countForRange,
    ...(request.decoy ? { decoy: true } : {}),
  };
  state.sends.push(now);
  state.lastSendAt = now;
  return { result: { ok: true, codeId, replacesCode }, state };
}

/**
 * Undoes a reservation whose SMS was not delivered: no code is left (the one it replaced is back),
 * the cooldown and the count are restored. `result` is the reservation given back (its `sentAt`
 * is the range bucket to take the send back from), or undefined if there was none to give back.
 * `keepCooldown` (the SMS provider throttled the number) gives the code back but keeps the send's
 * cooldown and its place in the daily count: the provider said to slow down.
 */
export function cancel(
  stored: PhoneState | undefined,
  settings: PhoneSettings,
  now: number,
  codeId: string,
  keepCooldown = false,
): Decision<PendingSend | undefined, PhoneState> {
  const state = phoneAt(stored, settings, now);
  const pending = state.pending[codeId];
  if (!pending) return { result: undefined, state: undefined };
  delete state.pending[codeId];
  if (state.codes[pending.purpose]?.id === codeId) {
    if (pending.previousCode) state.codes[pending.purpose] = pending.previousCode;
    else delete state.codes[pending.purpose];
  }
  if (keepCooldown) return { result: pending, state };
  const index = state.sends.lastIndexOf(pending.sentAt);
  if (index >= 0) state.sends.splice(index, 1);
  if (state.lastSendAt === pending.sentAt) {
    if (pending.previousLastSendAt === undefined) delete state.lastSendAt;
    else state.lastSendAt = pending.previousLastSendAt;
  }
  return { result: pending, state };
}
