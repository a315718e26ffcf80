import { describe, expect, it } from "vitest";
import { check, refund, spend, type Today } from "../../src/limits/budget";

const T = Date.UTC(2026, 0, 15, 23, 59, 0);
const MIDNIGHT = Date.UTC(2026, 0, 16);

/** Spends `n` times at `now`; returns the results and the final state. */
function spendN(n: number, budget: number, now: number, state?: Today) {
  const results = [];
  for (let i = 0; i < n; i += 1) {
    const decided = spend(state, { budget }, now);
    results.push(decided.result);
    state = decided.state ?? state;
  }
  return { results, state };
}

describe("daily SMS budget", () => {
  it("spends up to the budget, alerts on the last SMS only, then refuses until 00:00 UTC", () => {
    const { results, state } = spendN(5, 3, T);
    expect(results).toEqual([
      { ok: true, alertNow: false },
      { ok: true, alertNow: false },
      { ok: true, alertNow: true },
      { ok: false, retryAfterMs: MIDNIGHT - T, alertNow: false },
      { ok: false, retryAfterMs: MIDNIGHT - T, alertNow: false },
    ]);
    expect(state).toEqual({ day: "2026-01-15", spent: 3, alerted: true });
  });

  it("a refusal stores nothing once the day has alerted", () => {
    const { state } = spendN(1, 1, T);
    expect(spend(state, { budget: 1 }, T).state).toBeUndefined();
  });

  it("rolls over at 00:00 UTC: the new day starts at 0 and can alert again", () => {
    const { state } = spendN(3, 3, T);
    const next = spend(state, { budget: 3 }, MIDNIGHT);
    expect(next).toEqual({ result: { ok: true, alertNow: false }, state: { day: "2026-01-16", spent: 1, alerted: false } });
    expect(spend(state, { budget: 3 }, MIDNIGHT - 1).result.ok).toBe(false);
    expect(spendN(2, 3, MIDNIGHT, next.state).results.at(-1)).toEqual({ ok: true, alertNow: true });
  });

  it("alerts at the first refusal of a day that starts over budget, once", () => {
    const over: Today = { day: "2026-01-15", spent: 50 };
    const first = spend(over, { budget: 10 }, T);
    expect(first).toEqual({ result: { ok: false, retryAfterMs: MIDNIGHT - T, alertNow: true }, state: { day: "2026-01-15", spent: 50, alerted: true } });
    expect(spend(first.state, { budget: 10 }, T).result.alertNow).toBe(false);
    // A budget of 0 refuses the first spend of a fresh day, and alerts.
    expect(spend(undefined, { budget: 0 }, T)).toEqual({
      result: { ok: false, retryAfterMs: MIDNIGHT - T, alertNow: true },
      state: { day: "2026-01-15", spent: 0, alerted: true },
    });
  });

  it("a refund of the last SMS re-arms the alert; one below it keeps the day's state", () => {
    const { state } = spendN(1, 1, T);
    const refunded = refund(state, { budget: 1 }, T).state;
    expect(refunded).toEqual({ day: "2026-01-15", spent: 0, alerted: false });
    expect(spend(refunded, { budget: 1 }, T).result).toEqual({ ok: true, alertNow: true });
    expect(refund({ day: "2026-01-15", spent: 5, alerted: true }, { budget: 3 }, T).state).toEqual({ day: "2026-01-15", spent: 4, alerted: true });
  });

  it("gives nothing back to another day, or below 0", () => {
    expect(refund({ day: "2026-01-15", spent: 2 }, { budget: 3 }, MIDNIGHT)).toEqual({ result: undefined, state: undefined });
    expect(refund({ day: "2026-01-15", spent: 0 }, { budget: 3 }, T).state).toBeUndefined();
    expect(refund(undefined, { budget: 3 }, T).state).toBeUndefined();
  });

  it("check refuses like spend once the day is spent, takes nothing and never alerts", () => {
    expect(check(undefined, { budget: 1 }, T)).toEqual({ ok: true, alertNow: false });
    expect(check({ day: "2026-01-15", spent: 1 }, { budget: 1 }, T)).toEqual({ ok: false, retryAfterMs: MIDNIGHT - T, alertNow: false });
    expect(check({ day: "2026-01-15", spent: 1 }, { budget: 1 }, MIDNIGHT)).toEqual({ ok: true, alertNow: false });
  });
});
