import { describe, expect, it } from "vitest";
import { type LockoutSettings, recordLogin } from "../../src/limits/password-lockout";
import type { PhoneState } from "../../src/limits/phone-state";

const settings: LockoutSettings = {
  RESEND_INTERVAL_SECONDS: 60,
  DAILY_SENDS_PER_PHONE: 10,
  PHONE_GUESS_WINDOW_SECONDS: 3600,
  LOGIN_FAILURE_WINDOW_SECONDS: 900,
  LOGIN_MAX_FAILURES: 10,
};
const T = Date.UTC(2026, 0, 15, 12, 0, 0);
const WINDOW = 900_000;

/** `n` failed logins, one every 10 s from `from`. */
function failures(n: number, from = T, state?: PhoneState): { state: PhoneState | undefined; lockedNow: boolean[] } {
  const lockedNow: boolean[] = [];
  for (let i = 0; i < n; i += 1) {
    const decided = recordLogin(state, settings, from + i * 10_000, false);
    if (!decided.result.ok) throw new Error("refused");
    lockedNow.push(decided.result.lockedNow);
    state = decided.state;
  }
  return { state, lockedNow };
}

describe("password lockout", () => {
  it("locks on the LOGIN_MAX_FAILURES-th failure, once", () => {
    const { lockedNow } = failures(10);
    expect(lockedNow).toEqual([false, false, false, false, false, false, false, false, false, true]);
  });

  it("refuses, even a right password, until the oldest failure leaves the window", () => {
    const { state } = failures(10);
    const now = T + 100_000;
    expect(recordLogin(state, settings, now, true)).toEqual({ result: { ok: false, reason: "locked", retryAfterMs: T + WINDOW - now }, state: undefined });
    expect(recordLogin(state, settings, T + WINDOW - 1, true).result).toEqual({ ok: false, reason: "locked", retryAfterMs: 1 });
    // The first failure has left the window: one try is free, and a failure locks again.
    const again = recordLogin(state, settings, T + WINDOW, false);
    expect(again.result).toEqual({ ok: true, lockedNow: true });
    expect(recordLogin(again.state, settings, T + WINDOW + 1, true).result).toEqual({ ok: false, reason: "locked", retryAfterMs: 10_000 - 1 });
  });

  it("clears the failures on a success", () => {
    const { state } = failures(9);
    const success = recordLogin(state, settings, T + 100_000, true);
    expect(success.result).toEqual({ ok: true, lockedNow: false });
    expect(success.state!.loginFailures).toEqual([]);
    expect(failures(9, T + 200_000, success.state).lockedNow.at(-1)).toBe(false);
  });

  it("waits for the failures over a lowered limit to leave, oldest first", () => {
    // 10 failures stored, then LOGIN_MAX_FAILURES lowered to 4: 7 must leave, so the wait ends
    // when the 7th oldest (at T + 60 s) is a window old.
    const { state } = failures(10);
    const lowered = { ...settings, LOGIN_MAX_FAILURES: 4 };
    expect(recordLogin(state, lowered, T + 100_000, true).result).toEqual({ ok: false, reason: "locked", retryAfterMs: T + 60_000 + WINDOW - (T + 100_000) });
  });

  it("forgets failures older than the window", () => {
    const { state } = failures(9);
    const later = recordLogin(state, settings, T + 80_000 + WINDOW, false);
    expect(later.result).toEqual({ ok: true, lockedNow: false });
    expect(later.state!.loginFailures).toEqual([T + 80_000 + WINDOW]);
  });
});
