/**
 * Busy-address blocks (src/limits/client.ts `lease`, src/limits/client-pool.ts): a quiet address is
 * asked about once per request as before; a busy one is counted in blocks, never past its limit.
 */
import { describe, expect, it } from "vitest";
import { CLIENT_WINDOW_MS, type HitResult, hit, LEASE_DIVISOR, type LeaseResult, lease, release } from "../../src/limits/client";
import { ClientPool, HOT_MIN_HITS, LEASE_TTL_MS, MAX_BLOCK, REFUSAL_MEMORY_MS } from "../../src/limits/client-pool";
import { type Buckets, total } from "../../src/limits/window";

const T = Date.UTC(2026, 0, 15, 12, 0, 0);

describe("client address: leases (pure)", () => {
  it("grants at most 1/16 of what is left, and at least 1", () => {
    expect(lease(undefined, { limit: 10 }, 32, T).result).toEqual({ ok: true, granted: 1 });
    expect(lease(undefined, { limit: 1000 }, 32, T).result).toEqual({ ok: true, granted: 32 });
    expect(lease(undefined, { limit: 320 }, 32, T).result).toEqual({ ok: true, granted: 320 / LEASE_DIVISOR });
    const decided = lease(undefined, { limit: 1000 }, 32, T);
    expect(total(decided.state!)).toBe(32);
  });

  it("refuses a full hour like hit(), counting nothing", () => {
    const full: Buckets = { [String(Math.floor(T / 60_000))]: 50 };
    expect(lease(full, { limit: 50 }, 8, T + 1000)).toEqual({
      result: { ok: false, retryAfterMs: CLIENT_WINDOW_MS - 1000 },
      state: undefined,
    });
  });

  it("takes back a block's unused rest from the minute it was counted in", () => {
    const leased = lease(undefined, { limit: 1000 }, 32, T).state!;
    expect(total(release(leased, T + 5000, T, 20).state!)).toBe(12);
  });
});

/** ClientGuard in memory: the same pure decisions, and a record of the calls. */
function fakeGuard(limit: number) {
  let state: Buckets | undefined;
  const calls = { hit: 0, lease: 0, release: 0 };
  let now = T;
  const guard = {
    async hit(_kind: "send" | "verify", l: number): Promise<HitResult> {
      calls.hit += 1;
      const decided = hit(state, { limit: l }, now);
      if (decided.state) state = decided.state;
      return decided.result;
    },
    async lease(_kind: "send" | "verify", l: number, want: number): Promise<LeaseResult> {
      calls.lease += 1;
      const decided = lease(state, { limit: l }, want, now);
      if (decided.state) state = decided.state;
      return decided.result;
    },
    async release(_kind: "send" | "verify", at: number, amount = 1): Promise<void> {
      calls.release += 1;
      const decided = release(state, now, at, amount);
      if (decided.state) state = decided.state;
    },
  };
  return {
    calls,
    counted: () => total(state ?? {}),
    setNow: (t: number) => {
      now = t;
    },
    pool: new ClientPool(() => guard as never, "verify", limit),
  };
}

const deferred: Promise<unknown>[] = [];
const defer = (work: Promise<unknown>) => void deferred.push(work);

describe("ClientPool", () => {
  it("asks once per request while the address is quiet", async () => {
    const { pool, calls } = fakeGuard(100_000);
    for (let i = 0; i < HOT_MIN_HITS - 1; i += 1) expect((await pool.take(defer, T + i)).ok).toBe(true);
    expect(calls).toEqual({ hit: HOT_MIN_HITS - 1, lease: 0, release: 0 });
  });

  it("counts a busy address in blocks: far fewer calls, every request counted", async () => {
    const { pool, calls, counted } = fakeGuard(100_000);
    const requests = HOT_MIN_HITS + 1000;
    for (let i = 0; i < requests; i += 1) expect((await pool.take(defer, T + i)).ok).toBe(true);
    expect(calls.hit).toBe(HOT_MIN_HITS - 1);
    expect(calls.lease).toBeLessThan(1000 / 10);
    // Counted by the object: every request made, plus what the pool still holds.
    expect(counted()).toBeGreaterThanOrEqual(requests);
    expect(counted() - requests).toBeLessThan(MAX_BLOCK);
  });

  it("never lets a busy address past its limit, however many ask at once", async () => {
    const limit = 1000;
    const { pool, counted } = fakeGuard(limit);
    const answers = await Promise.all(Array.from({ length: 1500 }, (_, i) => pool.take(defer, T + i)));
    expect(answers.filter((a) => a.ok)).toHaveLength(limit);
    expect(counted()).toBe(limit);
  });

  it("remembers a busy address's refusal for a moment, answering the object's wait, with no call per request", async () => {
    const { pool, calls, setNow } = fakeGuard(300);
    for (let i = 0; i < 300; i += 1) expect((await pool.take(defer, T + i)).ok).toBe(true);
    const callsAtLimit = calls.hit + calls.lease;
    setNow(T + 400);
    const first = await pool.take(defer, T + 400);
    expect(first).toEqual({ ok: false, retryAfterMs: CLIENT_WINDOW_MS - 400 });
    for (let i = 0; i < 100; i += 1) {
      expect(await pool.take(defer, T + 500 + i)).toEqual({ ok: false, retryAfterMs: CLIENT_WINDOW_MS - 500 - i });
    }
    expect(calls.hit + calls.lease).toBe(callsAtLimit + 1);
    // After the memory, the object is asked again.
    await pool.take(defer, T + 400 + REFUSAL_MEMORY_MS);
    expect(calls.hit + calls.lease).toBe(callsAtLimit + 2);
  });

  it("answers requests that waited for a refused block from that refusal, with one call for all of them", async () => {
    const { pool, calls, setNow } = fakeGuard(300);
    for (let i = 0; i < 300; i += 1) expect((await pool.take(defer, T + i)).ok).toBe(true);
    const callsAtLimit = calls.hit + calls.lease;
    setNow(T + 400);
    const answers = await Promise.all(Array.from({ length: 50 }, () => pool.take(defer, T + 400)));
    expect(answers.every((a) => !a.ok)).toBe(true);
    expect(calls.hit + calls.lease).toBe(callsAtLimit + 1);
  });

  it("puts a request refused by another layer back into its block, and a unit of an old block back to the object", async () => {
    const { pool, calls, counted, setNow } = fakeGuard(100_000);
    for (let i = 0; i < HOT_MIN_HITS + 50; i += 1) await pool.take(defer, T + i);
    const held = await pool.take(defer, T + 300);
    expect(held).toMatchObject({ ok: true, from: "held" });
    const before = counted();
    expect(pool.giveBack(held)).toBeUndefined();
    expect(counted()).toBe(before);

    // Past LEASE_TTL_MS the block's rest goes back to the object at the next request...
    const stale = await pool.take(defer, T + 301);
    setNow(T + 301 + LEASE_TTL_MS);
    await pool.take(defer, T + 301 + LEASE_TTL_MS);
    await Promise.all(deferred.splice(0));
    expect(calls.release).toBe(1);
    // ...and a unit of that block given back later goes to the object too, not into a newer block.
    const releases = calls.release;
    await pool.giveBack(stale);
    expect(calls.release).toBe(releases + 1);
  });
});
