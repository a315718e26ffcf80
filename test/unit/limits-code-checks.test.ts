import { describe, expect, it } from "vitest";
import { type CheckSettings, check, type Guess, reopen } from "../../src/limits/code-checks";
import { reserve } from "../../src/limits/phone-sends";
import type { PhoneState } from "../../src/limits/phone-state";

const settings: CheckSettings & { CODE_TTL_SECONDS: number } = {
  RESEND_INTERVAL_SECONDS: 60,
  DAILY_SENDS_PER_PHONE: 10,
  PHONE_GUESS_WINDOW_SECONDS: 3600,
  LOGIN_FAILURE_WINDOW_SECONDS: 900,
  MAX_VERIFY_ATTEMPTS: 5,
  PHONE_MAX_FAILED_GUESSES: 10,
  PHONE_LOCK_SECONDS: 3600,
  CODE_TTL_SECONDS: 300,
};
const T = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;

/** A phone sent code `codeId` for login at `at`. */
function withCode(codeId: string, at = T, state?: PhoneState, options: { countForRange?: boolean; decoy?: boolean } = {}): PhoneState {
  const decided = reserve(state, settings, at, { purpose: "login", codeId, countForRange: options.countForRange ?? true, decoy: options.decoy });
  if (!decided.state) throw new Error(`send refused: ${JSON.stringify(decided.result)}`);
  return decided.state;
}

const guess = (codeId: string, matches: boolean, extra: Partial<Guess> = {}): Guess => ({ purpose: "login", codeId, matches, ...extra });

describe("code checks", () => {
  it("spends a right code once, registers its token and marks its range success with the time", () => {
    const state = withCode("c");
    const right = check(state, settings, T + 1000, guess("c", true, { issueToken: { jti: "j", expiresAt: T + 600_000 } }));
    expect(right.result).toEqual({ ok: true });
    expect(right.countSuccess).toBe(true);
    expect(right.state!.codes.login).toMatchObject({ status: "used", successCountedAt: T + 1000 });
    expect(right.state!.tokens).toEqual({ j: { purpose: "login", expiresAt: T + 600_000 } });
    expect(state.codes.login?.status).toBe("active");

    const again = check(right.state, settings, T + 2000, guess("c", true));
    expect(again).toEqual({ result: { ok: false, reason: "expired" }, state: undefined, countSuccess: false });
  });

  it("counts no range success for a code that does not count for the range", () => {
    const right = check(withCode("c", T, undefined, { countForRange: false }), settings, T + 1000, guess("c", true));
    expect(right.result.ok).toBe(true);
    expect(right.countSuccess).toBe(false);
    expect(right.state!.codes.login?.successCountedAt).toBeUndefined();
  });

  it("burns a code after MAX_VERIFY_ATTEMPTS wrong guesses; then even the right code waits for a resend", () => {
    let state = withCode("c");
    const left: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const wrong = check(state, settings, T + 1000 + i, guess("c", false));
      if (wrong.result.ok || wrong.result.reason !== "invalid") throw new Error("expected invalid");
      left.push(wrong.result.attemptsLeft);
      state = wrong.state!;
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    expect(state.codes.login?.status).toBe("burned");
    expect(state.guessFailures).toHaveLength(5);
    // The resend is allowed 60 s after the send.
    expect(check(state, settings, T + 10_000, guess("c", true)).result).toEqual({ ok: false, reason: "too_many_attempts", retryAfterMs: 50_000 });
    // The burned code is kept past its expiry until a resend is possible, then dropped.
    const late = check(state, settings, T + 300_000, guess("c", true));
    expect(late.result).toEqual({ ok: false, reason: "expired" });
  });

  it("locks the phone after PHONE_MAX_FAILED_GUESSES wrong guesses across codes, until the lock ends", () => {
    let state = withCode("a");
    for (let i = 0; i < 5; i += 1) state = check(state, settings, T + i, guess("a", false)).state!;
    state = withCode("b", T + MINUTE, state);
    const results = [];
    for (let i = 0; i < 5; i += 1) {
      const wrong = check(state, settings, T + MINUTE + i, guess("b", false));
      results.push(wrong.result);
      state = wrong.state!;
    }
    expect(results.at(-2)).toEqual({ ok: false, reason: "invalid", attemptsLeft: 1, lockedNow: false });
    expect(results.at(-1)).toEqual({ ok: false, reason: "invalid", attemptsLeft: 0, lockedNow: true });
    const lockEnds = T + MINUTE + 4 + 3600_000;
    expect(state.lockedUntil).toBe(lockEnds);
    expect(check(state, settings, lockEnds - 1, guess("b", true)).result).toEqual({ ok: false, reason: "locked", retryAfterMs: 1 });
    expect(reserve(state, settings, lockEnds - 1, { purpose: "login", codeId: "c", countForRange: true }).result).toMatchObject({ reason: "locked" });
    // Once the lock ends, the failures have left their hour too and a new code can be tried.
    const fresh = withCode("c", lockEnds, state);
    expect(fresh.lockedUntil).toBeUndefined();
    expect(check(fresh, settings, lockEnds + 1, guess("c", false)).result).toEqual({ ok: false, reason: "invalid", attemptsLeft: 4, lockedNow: false });
  });

  it("forgets wrong guesses older than the guess window", () => {
    let state = withCode("a");
    for (let i = 0; i < 5; i += 1) state = check(state, settings, T + i, guess("a", false)).state!;
    state = withCode("b", T + MINUTE, state);
    for (let i = 0; i < 4; i += 1) state = check(state, settings, T + MINUTE + i, guess("b", false)).state!;
    expect(state.guessFailures).toHaveLength(9);
    // An hour after the first five, the tenth wrong guess finds only the four on "b": no lock.
    state = withCode("c", T + 3600_000 + 10, state);
    const wrong = check(state, settings, T + 3600_000 + 20, guess("c", false));
    expect(wrong.result).toEqual({ ok: false, reason: "invalid", attemptsLeft: 4, lockedNow: false });
    expect(wrong.state!.guessFailures).toEqual([T + MINUTE, T + MINUTE + 1, T + MINUTE + 2, T + MINUTE + 3, T + 3600_000 + 20]);
    expect(wrong.state!.lockedUntil).toBeUndefined();
  });

  it("answers expired for an old, replaced or unknown code, and never verifies a decoy", () => {
    const state = withCode("c");
    expect(check(state, settings, T + 300_000, guess("c", true)).result).toEqual({ ok: false, reason: "expired" });
    expect(check(state, settings, T + 1000, guess("other", true)).result).toEqual({ ok: false, reason: "expired" });
    expect(check(undefined, settings, T, guess("c", true)).result).toEqual({ ok: false, reason: "expired" });
    const decoy = withCode("d", T, undefined, { decoy: true });
    const right = check(decoy, settings, T + 1000, guess("d", true));
    expect(right.result).toEqual({ ok: false, reason: "invalid", attemptsLeft: 4, lockedNow: false });
    expect(right.countSuccess).toBe(false);
  });
});

describe("code checks: reopen", () => {
  it("makes a spent code usable again, voids its token and hands back when its success was counted", () => {
    const spent = check(withCode("c"), settings, T + 59_000, guess("c", true, { issueToken: { jti: "j", expiresAt: T + 600_000 } })).state!;
    // Reopened in the next minute: the success to take back is the one counted at T + 59 s.
    const reopened = reopen(spent, settings, T + 61_000, { purpose: "login", codeId: "c", jti: "j" });
    expect(reopened.result).toEqual({ takeBackSuccessAt: T + 59_000 });
    expect(reopened.state!.codes.login).toMatchObject({ status: "active" });
    expect(reopened.state!.codes.login?.successCountedAt).toBeUndefined();
    expect(reopened.state!.tokens).toEqual({});
    // The code verifies again, and its new success is counted at the new time.
    const again = check(reopened.state, settings, T + 62_000, guess("c", true));
    expect(again.result).toEqual({ ok: true });
    expect(again.state!.codes.login?.successCountedAt).toBe(T + 62_000);
  });

  it("takes nothing back for a code that is not spent, or does not count for the range", () => {
    const active = withCode("c");
    expect(reopen(active, settings, T + 1000, { purpose: "login", codeId: "c" }).result).toEqual({});
    const uncounted = check(withCode("u", T, undefined, { countForRange: false }), settings, T + 1000, guess("u", true)).state!;
    const reopened = reopen(uncounted, settings, T + 2000, { purpose: "login", codeId: "u" });
    expect(reopened.result).toEqual({});
    expect(reopened.state!.codes.login?.status).toBe("active");
  });

  it("falls back to the current minute for a code stored before the success time was recorded", () => {
    const spent = check(withCode("c"), settings, T + 1000, guess("c", true)).state!;
    delete spent.codes.login!.successCountedAt;
    expect(reopen(spent, settings, T + 2000, { purpose: "login", codeId: "c" }).result).toEqual({ takeBackSuccessAt: T + 2000 });
  });
});
