import { describe, expect, it } from "vitest";
import { check, reopen } from "../../src/limits/code-checks";
import { reserve } from "../../src/limits/phone-sends";
import { countSend, countSuccess, isRangeEmpty, type RangeSettings, type RangeState, rangeAt, uncountSend, uncountSuccess } from "../../src/limits/range";
import { minuteOf, total } from "../../src/limits/window";

const settings: RangeSettings = { PREFIX_MIN_SENDS: 20, PREFIX_MIN_SUCCESS_PERCENT: 10, PREFIX_WINDOW_SECONDS: 3600, PREFIX_BLOCK_SECONDS: 43_200 };
const T = Date.UTC(2026, 0, 15, 12, 0, 0); // on a minute boundary
const MINUTE = 60_000;

/** `n` sends, one a second from `from`, ids s0, s1, …; returns the state and whether the last one blocked. */
function sends(n: number, from = T, state?: RangeState): { state: RangeState; blockedNow: boolean } {
  let blockedNow = false;
  for (let i = 0; i < n; i += 1) {
    const decided = countSend(state, settings, from + i * 1000, `s${i}`);
    state = decided.state!;
    blockedNow = decided.result.blockedNow;
  }
  return { state: state ?? rangeAt(undefined, settings, from), blockedNow };
}

describe("range fraud rule", () => {
  it("blocks on the send that reaches PREFIX_MIN_SENDS with under 10 % verified, and names that send", () => {
    const nineteen = sends(19);
    expect(nineteen.blockedNow).toBe(false);
    expect(nineteen.state.blockedUntil).toBeUndefined();
    const tipped = countSend(nineteen.state, settings, T + 19_000, "tipping");
    expect(tipped.result).toEqual({ blockedNow: true });
    expect(tipped.state).toMatchObject({ blockedUntil: T + 19_000 + 43_200_000, blockedBy: "tipping" });
    expect(total(tipped.state!.sends)).toBe(20);
  });

  it("does not block a range that verifies at least 10 %", () => {
    let state = sends(10).state;
    state = countSuccess(state, settings, T + 10_000).state!;
    state = countSuccess(state, settings, T + 11_000).state!;
    const more = sends(10, T + 20_000, state);
    expect(total(more.state.sends)).toBe(20);
    expect(more.blockedNow).toBe(false);
    // One success more than allowed away: 21 sends, 2 successes is 9.5 %.
    expect(countSend(more.state, settings, T + 40_000, "x").result.blockedNow).toBe(true);
  });

  it("lifts the block when the send that tripped it is given back, and takes the send back from its own minute", () => {
    const tipped = sends(20, T + 50_000).state;
    // s19 was counted at T + 69 s, i.e. in the minute after the first sends.
    expect(tipped.blockedBy).toBe("s19");
    const other = uncountSend(tipped, settings, T + 2 * MINUTE, { sendId: "s3", sentAt: T + 53_000 }).state!;
    expect(other.blockedUntil).toBeDefined();
    const lifted = uncountSend(other, settings, T + 2 * MINUTE, { sendId: "s19", sentAt: T + 69_000 }).state!;
    expect(lifted.blockedUntil).toBeUndefined();
    expect(lifted.blockedBy).toBeUndefined();
    expect(lifted.sends).toEqual({ [minuteOf(T)]: 9, [minuteOf(T + MINUTE)]: 9 });
  });

  it("ends a block after PREFIX_BLOCK_SECONDS and forgets counts older than the window", () => {
    const tipped = sends(20).state;
    const during = rangeAt(tipped, settings, T + 43_200_000);
    expect(during.blockedUntil).toBe(T + 19_000 + 43_200_000);
    const after = rangeAt(tipped, settings, T + 19_000 + 43_200_000);
    expect(after).toEqual({ sends: {}, successes: {} });
    expect(isRangeEmpty(after)).toBe(true);
    // All 20 were counted in minute T, which leaves the hour as a whole at T + 1 h.
    expect(total(rangeAt(tipped, settings, T + 3600_000 - 1).sends)).toBe(20);
    expect(total(rangeAt(tipped, settings, T + 3600_000).sends)).toBe(0);
  });

  it("leaves the state it was given alone", () => {
    const state = sends(3).state;
    const before = structuredClone(state);
    countSend(state, settings, T + 5000, "x");
    countSuccess(state, settings, T + 5000);
    uncountSend(state, settings, T + 5000, { sendId: "s0", sentAt: T });
    expect(state).toEqual(before);
  });
});

describe("reopen takes a success back from the bucket it was counted in", () => {
  it("across a minute boundary, with no other success in the range", () => {
    const success = countSuccess(undefined, settings, T + 59_000).state!;
    expect(success.successes).toEqual({ [minuteOf(T)]: 1 });
    const back = uncountSuccess(success, settings, T + 61_000, T + 59_000).state!;
    expect(back.successes).toEqual({});
    expect(isRangeEmpty(back)).toBe(true);
  });

  it("end to end through code-checks: the reopened code's success goes, the later one in the next minute stays", () => {
    const phoneSettings = {
      RESEND_INTERVAL_SECONDS: 60,
      DAILY_SENDS_PER_PHONE: 10,
      PHONE_GUESS_WINDOW_SECONDS: 3600,
      LOGIN_FAILURE_WINDOW_SECONDS: 900,
      CODE_TTL_SECONDS: 300,
      MAX_VERIFY_ATTEMPTS: 5,
      PHONE_MAX_FAILED_GUESSES: 10,
      PHONE_LOCK_SECONDS: 3600,
    };
    const phone = reserve(undefined, phoneSettings, T, { purpose: "login", codeId: "c", countForRange: true }).state!;
    const checked = check(phone, phoneSettings, T + 59_000, { purpose: "login", codeId: "c", matches: true });
    expect(checked.countSuccess).toBe(true);
    let range = countSuccess(undefined, settings, T + 59_000).state!;
    // Another phone's success, in the next minute.
    range = countSuccess(range, settings, T + 60_500).state!;

    const reopened = reopen(checked.state, phoneSettings, T + 61_000, { purpose: "login", codeId: "c" });
    range = uncountSuccess(range, settings, T + 61_000, reopened.result.takeBackSuccessAt!).state!;
    expect(range.successes).toEqual({ [minuteOf(T + MINUTE)]: 1 });
  });
});
