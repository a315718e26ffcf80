import { describe, expect, it } from "vitest";
import { dayOf, spend, type Today } from "../../src/limits/budget";
import {
  BLOCK_MIN_SENDS,
  blockForLoad,
  blockWanted,
  emptyPool,
  grantLease,
  holdRest,
  LEASE_TTL_MS,
  LOW_WATER_DIVISOR,
  MAX_BLOCK,
  noteSend,
  OBJECT_BUSY_CALLS,
  OBJECT_TARGET_CALLS_PER_SECOND,
  putBack,
  RATE_WINDOW_MS,
  returnUnits,
  staleUnits,
  takeHeld,
} from "../../src/limits/budget-lease";

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const DAY = dayOf(NOW);

const b = (budget: number) => ({ budget });

describe("grantLease", () => {
  it("grants what is wanted while plenty is left, and counts it as spent at once", () => {
    expect(grantLease({ day: DAY, spent: 0 }, b(10_000), 32, NOW)).toEqual({
      result: { ok: true, granted: 32, day: DAY, alertNow: false },
      state: { day: DAY, spent: 32, alerted: false },
    });
  });

  it("never grants more than 1/LOW_WATER_DIVISOR of what is left, nor less than one unit", () => {
    const left = 10 * LOW_WATER_DIVISOR;
    expect(grantLease({ day: DAY, spent: 1000 - left }, b(1000), 32, NOW).result).toMatchObject({ ok: true, granted: 10 });
    expect(grantLease({ day: DAY, spent: 998 }, b(1000), 32, NOW).result).toMatchObject({ ok: true, granted: 1 });
  });

  it("alerts on the grant that takes the last unit, then refuses until the next UTC day without alerting again", () => {
    const last = grantLease({ day: DAY, spent: 9 }, b(10), 5, NOW);
    expect(last).toEqual({ result: { ok: true, granted: 1, day: DAY, alertNow: true }, state: { day: DAY, spent: 10, alerted: true } });
    const refused = grantLease(last.state, b(10), 5, NOW);
    expect(refused).toEqual({ result: { ok: false, alertNow: false, retryAfterMs: 12 * 3600_000 }, state: undefined });
  });

  it("alerts at the first refusal of a day that starts over budget, and a budget of 0 grants nothing", () => {
    const first = grantLease({ day: DAY, spent: 50 }, b(10), 1, NOW);
    expect(first).toMatchObject({ result: { ok: false, alertNow: true }, state: { day: DAY, spent: 50, alerted: true } });
    expect(grantLease(first.state, b(10), 1, NOW).result).toMatchObject({ ok: false, alertNow: false });
    expect(grantLease(undefined, b(0), 1, NOW).result.ok).toBe(false);
  });

  it("starts a new UTC day at 0", () => {
    expect(grantLease({ day: "2000-01-01", spent: 99, alerted: true }, b(100), 1, NOW).state).toEqual({ day: DAY, spent: 1, alerted: false });
  });

  it("is budget.ts's spend() when one unit is wanted", () => {
    for (const stored of [undefined, { day: DAY, spent: 3 }, { day: DAY, spent: 9 }, { day: DAY, spent: 10, alerted: true }, { day: DAY, spent: 12 }]) {
      const one = grantLease(stored, b(10), 1, NOW);
      const spent = spend(stored, b(10), NOW);
      expect(one.state).toEqual(spent.state);
      expect(one.result.ok).toBe(spent.result.ok);
      expect(one.result.alertNow).toBe(spent.result.alertNow);
    }
  });

  it("whatever the order of wants, the units granted in a day add up to the budget exactly (property)", () => {
    for (let seed = 1; seed < 200; seed += 1) {
      let state: Today | undefined;
      let granted = 0;
      const budget = seed % 97;
      for (let i = 0; i < 200; i += 1) {
        const grant = grantLease(state, b(budget), ((seed * 31 + i * 17) % 40) + 1, NOW);
        if (grant.state) state = grant.state;
        if (grant.result.ok) granted += grant.result.granted;
      }
      expect(granted).toBe(budget);
    }
  });
});

describe("returnUnits", () => {
  it("gives back today's unused units and re-arms the alert when the day is under budget again", () => {
    expect(returnUnits({ day: DAY, spent: 10, alerted: true }, b(10), DAY, 3, NOW).state).toEqual({ day: DAY, spent: 7, alerted: false });
    expect(returnUnits({ day: DAY, spent: 12, alerted: true }, b(10), DAY, 1, NOW).state).toEqual({ day: DAY, spent: 11, alerted: true });
  });

  it("drops units of a day that is over, and never goes below 0", () => {
    expect(returnUnits({ day: DAY, spent: 10 }, b(10), "2000-01-01", 3, NOW).state).toBeUndefined();
    expect(returnUnits({ day: "2000-01-01", spent: 10 }, b(10), "2000-01-01", 3, NOW).state).toBeUndefined();
    expect(returnUnits({ day: DAY, spent: 2 }, b(10), DAY, 5, NOW).state).toEqual({ day: DAY, spent: 0, alerted: false });
  });
});

describe("an isolate's pool", () => {
  it("asks for one unit at a time until the isolate sends BLOCK_MIN_SENDS in the window, then about a second of its sends", () => {
    expect(blockWanted(0)).toBe(1);
    expect(blockWanted(BLOCK_MIN_SENDS - 1)).toBe(1);
    expect(blockWanted(BLOCK_MIN_SENDS)).toBe(Math.ceil((BLOCK_MIN_SENDS * 1000) / RATE_WINDOW_MS));
    expect(blockWanted(100_000)).toBe(MAX_BLOCK);
  });

  it("a busy SmsBudget hands out blocks on its own, sized to bring its calls back to its target rate", () => {
    expect(blockForLoad(0)).toBe(1);
    expect(blockForLoad(OBJECT_BUSY_CALLS - 1)).toBe(1);
    // 1,000 calls a second: blocks of 10 bring them to 100 a second.
    expect(blockForLoad(1000 * (RATE_WINDOW_MS / 1000))).toBe(1000 / OBJECT_TARGET_CALLS_PER_SECOND);
    expect(blockForLoad(1_000_000)).toBe(MAX_BLOCK);
  });

  it("counts only the sends inside the rate window", () => {
    const pool = emptyPool();
    for (let i = 0; i < 5; i += 1) noteSend(pool, NOW + i * 1000);
    noteSend(pool, NOW + RATE_WINDOW_MS + 1500);
    expect(pool.recent).toHaveLength(4);
  });

  it("holds the rest of a grant, takes from it, takes back a unit put back, and drops units of another day", () => {
    const pool = emptyPool();
    holdRest(pool, DAY, 3, NOW);
    expect(takeHeld(pool, NOW)).toBe(true);
    expect(takeHeld(pool, NOW)).toBe(true);
    expect(takeHeld(pool, NOW)).toBe(false);
    expect(putBack(pool, DAY, NOW)).toBe(true);
    expect(pool.units).toBe(1);
    const tomorrow = NOW + 24 * 3600_000;
    expect(takeHeld(pool, tomorrow)).toBe(false);
    expect(putBack(pool, DAY, tomorrow)).toBe(false);
    expect(staleUnits(pool, tomorrow)).toBeUndefined();
    expect(pool.units).toBe(0);
  });

  it("returns units held past LEASE_TTL_MS", () => {
    const pool = emptyPool();
    holdRest(pool, DAY, 5, NOW);
    expect(staleUnits(pool, NOW + LEASE_TTL_MS - 1)).toBeUndefined();
    expect(staleUnits(pool, NOW + LEASE_TTL_MS)).toEqual({ day: DAY, units: 4 });
    expect(pool.units).toBe(0);
  });
});
