import { describe, expect, it } from "vitest";
import { CLIENT_WINDOW_MS, hit, sweep } from "../../src/limits/client";
import { type Buckets, minuteOf, total } from "../../src/limits/window";

const T = Date.UTC(2026, 0, 15, 12, 0, 0); // on a minute boundary
const MINUTE = 60_000;

/** `n` hits at `at`, each expected to pass. */
function hits(n: number, at: number, state?: Buckets, limit = 10): Buckets {
  for (let i = 0; i < n; i += 1) {
    const decided = hit(state, { limit }, at);
    expect(decided.result).toEqual({ ok: true });
    state = decided.state!;
  }
  return state ?? {};
}

describe("client address: sliding hour", () => {
  it("counts requests up to the limit and refuses the next without counting it", () => {
    const state = hits(10, T + 30_000);
    expect(state).toEqual({ [minuteOf(T)]: 10 });
    const refused = hit(state, { limit: 10 }, T + 40_000);
    expect(refused.state).toBeUndefined();
    // The minute bucket of T leaves the window at T + 1 h.
    expect(refused.result).toEqual({ ok: false, retryAfterMs: CLIENT_WINDOW_MS - 40_000 });
  });

  it("waits only until enough of the oldest requests have aged out", () => {
    let state = hits(4, T + 5 * MINUTE);
    state = hits(6, T + 20 * MINUTE, state);
    const now = T + 30 * MINUTE;
    // One must leave: the 4 at minute 5 leave at T + 65 min.
    expect(hit(state, { limit: 10 }, now).result).toEqual({ ok: false, retryAfterMs: 35 * MINUTE });
    // With a limit of 7, four must leave: still the first bucket. With 4, seven: the second one too.
    expect(hit(state, { limit: 7 }, now).result).toEqual({ ok: false, retryAfterMs: 35 * MINUTE });
    expect(hit(state, { limit: 4 }, now).result).toEqual({ ok: false, retryAfterMs: 50 * MINUTE });
    // When it is over, the request is counted.
    const later = hit(state, { limit: 10 }, T + 65 * MINUTE);
    expect(later.result).toEqual({ ok: true });
    expect(total(later.state!)).toBe(7);
  });

  it("takes its limit from each call", () => {
    const state = hits(3, T);
    expect(hit(state, { limit: 3 }, T).result.ok).toBe(false);
    expect(hit(state, { limit: 4 }, T).result.ok).toBe(true);
  });

  it("sweeps to what is left of the hour, or nothing", () => {
    const state = { ...hits(2, T), ...hits(1, T + 30 * MINUTE) };
    expect(sweep(state, T + 59 * MINUTE)).toEqual(state);
    expect(sweep(state, T + 60 * MINUTE)).toEqual({ [minuteOf(T + 30 * MINUTE)]: 1 });
    expect(sweep(state, T + 90 * MINUTE)).toBeUndefined();
    expect(sweep(undefined, T)).toBeUndefined();
  });
});
