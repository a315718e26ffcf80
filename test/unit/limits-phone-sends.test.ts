import { describe, expect, it } from "vitest";
import { cancel, reserve, type SendRequest, type SendSettings } from "../../src/limits/phone-sends";
import { type PhoneState, phoneAt } from "../../src/limits/phone-state";

const settings: SendSettings = {
  RESEND_INTERVAL_SECONDS: 60,
  DAILY_SENDS_PER_PHONE: 10,
  PHONE_GUESS_WINDOW_SECONDS: 3600,
  LOGIN_FAILURE_WINDOW_SECONDS: 900,
  CODE_TTL_SECONDS: 300,
};
const T = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;
const DAY = 24 * 3600_000;

let ids = 0;
const request = (overrides: Partial<SendRequest> = {}): SendRequest => ({ purpose: "login", codeId: `code-${++ids}`, countForRange: true, ...overrides });

/** Reserves and expects success; returns the new state. */
function sent(state: PhoneState | undefined, now: number, overrides: Partial<SendRequest> = {}): PhoneState {
  const decided = reserve(state, settings, now, request(overrides));
  expect(decided.result.ok).toBe(true);
  return decided.state!;
}

describe("phone sends: reserve", () => {
  it("records the send and makes the new code current", () => {
    const decided = reserve(undefined, settings, T, { purpose: "register", codeId: "c1", countForRange: false, decoy: true });
    expect(decided.result).toEqual({ ok: true, codeId: "c1", replacesCode: false });
    expect(decided.state).toEqual({
      codes: { register: { id: "c1", expiresAt: T + 300_000, attempts: 0, status: "active", countsForRange: false, decoy: true } },
      sends: [T],
      lastSendAt: T,
      pending: { c1: { purpose: "register", sentAt: T, previousCode: undefined, previousLastSendAt: undefined } },
      guessFailures: [],
      tokens: {},
      loginFailures: [],
    });
  });

  it("refuses inside the cooldown with the exact wait, and allows a send at its end", () => {
    const state = sent(undefined, T);
    expect(reserve(state, settings, T + 1, request()).result).toEqual({ ok: false, reason: "cooldown", retryAfterMs: 59_999 });
    expect(reserve(state, settings, T + 59_999, request()).result).toEqual({ ok: false, reason: "cooldown", retryAfterMs: 1 });
    expect(reserve(state, settings, T + 60_000, request()).result.ok).toBe(true);
  });

  it("says whether the new code replaces one the phone still has (the caller then keeps the stored copy)", () => {
    const state = sent(undefined, T);
    expect(reserve(state, settings, T + 60_000, request()).result).toMatchObject({ ok: true, replacesCode: true });
    // Past the first code's life (300 s) there is nothing left to replace.
    expect(reserve(state, settings, T + 300_000, request()).result).toMatchObject({ ok: true, replacesCode: false });
  });

  it("stores nothing on a refusal and leaves the state it was given alone", () => {
    const state = sent(undefined, T);
    const before = structuredClone(state);
    const refused = reserve(state, settings, T + 1000, request());
    expect(refused.state).toBeUndefined();
    expect(state).toEqual(before);
  });

  it("caps sends over a rolling 24 hours, freeing a send when the oldest one is a day old", () => {
    let state: PhoneState | undefined;
    for (let i = 0; i < 10; i += 1) state = sent(state, T + i * 10 * MINUTE);
    const now = T + 100 * MINUTE;
    expect(reserve(state, settings, now, request()).result).toEqual({ ok: false, reason: "daily_cap", retryAfterMs: T + DAY - now });
    expect(reserve(state, settings, T + DAY - 1, request()).result).toEqual({ ok: false, reason: "daily_cap", retryAfterMs: 1 });
    const next = sent(state, T + DAY);
    expect(next.sends).toHaveLength(10);
    // The second send is now the oldest: the cap holds again until it is a day old.
    expect(reserve(next, settings, T + DAY + MINUTE, request()).result).toEqual({ ok: false, reason: "daily_cap", retryAfterMs: 10 * MINUTE - MINUTE });
  });

  it("refuses a locked phone until the lock ends", () => {
    const locked: PhoneState = { ...phoneAt(undefined, settings, T), lockedUntil: T + 3600_000 };
    expect(reserve(locked, settings, T, request()).result).toEqual({ ok: false, reason: "locked", retryAfterMs: 3600_000 });
    expect(reserve(locked, settings, T + 3600_000 - 1, request()).result).toEqual({ ok: false, reason: "locked", retryAfterMs: 1 });
    const after = reserve(locked, settings, T + 3600_000, request());
    expect(after.result.ok).toBe(true);
    expect(after.state!.lockedUntil).toBeUndefined();
  });

  it("refuses while the range is blocked, after a lock and before the cooldown", () => {
    const state = sent(undefined, T);
    expect(reserve(state, settings, T + 1000, request({ rangeBlockedUntil: T + 5000 })).result).toEqual({
      ok: false,
      reason: "range_blocked",
      retryAfterMs: 4000,
    });
    const locked = { ...state, lockedUntil: T + 10_000 };
    expect(reserve(locked, settings, T + 1000, request({ rangeBlockedUntil: T + 5000 })).result).toMatchObject({ reason: "locked" });
    // A block that has ended refuses nothing.
    expect(reserve(undefined, settings, T, request({ rangeBlockedUntil: T })).result.ok).toBe(true);
  });
});

describe("phone sends: cancel", () => {
  it("gives back a send: the old code, the cooldown and the count return", () => {
    const first = sent(undefined, T, { codeId: "a" });
    const second = sent(first, T + 2 * MINUTE, { codeId: "b" });
    const cancelled = cancel(second, settings, T + 2 * MINUTE + 5000, "b");
    expect(cancelled.result).toMatchObject({ purpose: "login", sentAt: T + 2 * MINUTE });
    const state = cancelled.state!;
    expect(state.codes.login?.id).toBe("a");
    expect(state.sends).toEqual([T]);
    expect(state.lastSendAt).toBe(T);
    expect(Object.keys(state.pending)).toEqual(["a"]);
    // The cooldown counts from the first send again: a new send is allowed at once.
    expect(reserve(state, settings, T + 2 * MINUTE + 5000, request()).result.ok).toBe(true);
  });

  it("keepCooldown (a provider throttled the number): the old code returns, the cooldown and count stay", () => {
    const first = sent(undefined, T, { codeId: "a" });
    const second = sent(first, T + 2 * MINUTE, { codeId: "b" });
    const cancelled = cancel(second, settings, T + 2 * MINUTE + 5000, "b", true);
    expect(cancelled.result).toMatchObject({ purpose: "login", sentAt: T + 2 * MINUTE });
    const state = cancelled.state!;
    expect(state.codes.login?.id).toBe("a");
    expect(state.sends).toEqual([T, T + 2 * MINUTE]);
    expect(state.lastSendAt).toBe(T + 2 * MINUTE);
    expect(Object.keys(state.pending)).toEqual(["a"]);
    expect(reserve(state, settings, T + 2 * MINUTE + 5000, request()).result).toMatchObject({ ok: false, reason: "cooldown" });
  });

  it("leaves nothing of a first send", () => {
    const state = sent(undefined, T, { codeId: "only" });
    const cancelled = cancel(state, settings, T + 1000, "only").state!;
    expect(cancelled).toEqual({ codes: {}, sends: [], pending: {}, guessFailures: [], tokens: {}, loginFailures: [] });
  });

  it("does nothing for an unknown send, or one too old to give back", () => {
    const state = sent(undefined, T, { codeId: "x" });
    expect(cancel(state, settings, T + 1000, "nope")).toEqual({ result: undefined, state: undefined });
    expect(cancel(state, settings, T + 5 * MINUTE, "x")).toEqual({ result: undefined, state: undefined });
  });

  it("keeps a newer code that replaced the cancelled one", () => {
    const first = sent(undefined, T, { codeId: "a" });
    const second = sent(first, T + MINUTE, { codeId: "b" });
    const state = cancel(second, settings, T + MINUTE + 1000, "a").state!;
    expect(state.codes.login?.id).toBe("b");
    expect(state.sends).toEqual([T + MINUTE]);
    expect(state.lastSendAt).toBe(T + MINUTE);
  });
});
