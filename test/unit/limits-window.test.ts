import { describe, expect, it } from "vitest";
import { add, minuteOf, msUntilBelow, prune, take, total } from "../../src/limits/window";

const T = Date.UTC(2026, 0, 15, 12, 0, 0); // on a minute boundary
const MINUTE = 60_000;
const m = (at: number) => minuteOf(at);

describe("window buckets", () => {
  it("counts into the minute a time falls in, without changing the buckets it was given", () => {
    const empty = {};
    const one = add(empty, T + 59_999);
    expect(empty).toEqual({});
    expect(one).toEqual({ [m(T)]: 1 });
    expect(add(one, T + MINUTE, 2)).toEqual({ [m(T)]: 1, [m(T + MINUTE)]: 2 });
  });

  it("takes back from the minute the count was made in, not from another one", () => {
    const buckets = { [m(T)]: 1, [m(T + MINUTE)]: 1 };
    expect(take(buckets, T + 30_000)).toEqual({ [m(T + MINUTE)]: 1 });
    expect(take(buckets, T + MINUTE)).toEqual({ [m(T)]: 1 });
    expect(buckets).toEqual({ [m(T)]: 1, [m(T + MINUTE)]: 1 });
  });

  it("never takes a bucket below zero and never writes a negative count", () => {
    expect(take({ [m(T)]: 1 }, T + MINUTE)).toEqual({ [m(T)]: 1 });
    expect(take({}, T)).toEqual({});
    expect(take({ [m(T)]: 2 }, T, 5)).toEqual({});
    expect(take({ [m(T)]: 3 }, T)).toEqual({ [m(T)]: 2 });
  });

  it("prunes the minutes that left the window and totals the rest", () => {
    const buckets = { [m(T - 61 * MINUTE)]: 4, [m(T - 60 * MINUTE)]: 2, [m(T - 59 * MINUTE)]: 1, [m(T)]: 3 };
    const kept = prune(buckets, T, 3600_000);
    expect(kept).toEqual({ [m(T - 59 * MINUTE)]: 1, [m(T)]: 3 });
    expect(total(kept)).toBe(4);
  });

  it("says how long until the total drops below a limit, a whole minute at a time", () => {
    const buckets = { [m(T - 50 * MINUTE)]: 2, [m(T - 10 * MINUTE)]: 3 };
    // 5 counted, limit 5: the 2 oldest must leave, at (T − 50 min) + 1 hour = T + 10 min.
    expect(msUntilBelow(buckets, T, 3600_000, 5)).toBe(10 * MINUTE);
    // Limit 3: 3 must leave, so the second bucket too, at T + 50 min.
    expect(msUntilBelow(buckets, T, 3600_000, 3)).toBe(50 * MINUTE);
    expect(msUntilBelow({}, T, 3600_000, 1)).toBe(0);
  });
});
