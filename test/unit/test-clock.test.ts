/** The test helper that keeps "today" tests clear of UTC midnight (test/support/time.ts). */
import { afterEach, describe, expect, it, vi } from "vitest";
import { clearOfUtcMidnight } from "../support/time";

afterEach(() => {
  vi.useRealTimers();
});

describe("clearOfUtcMidnight", () => {
  it("waits until just past UTC midnight when it is closer than the margin", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 29, 23, 59, 50) });
    let done = false;
    const waiting = clearOfUtcMidnight().then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(9_000);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    await waiting;
    expect(new Date().toISOString().slice(0, 10)).toBe("2026-11-30");
  });

  it("still waits when handed a test context, as a beforeEach hook hands it one", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 29, 23, 59, 50) });
    let done = false;
    const asHook = clearOfUtcMidnight as (context: object) => Promise<void>;
    const waiting = asHook({ task: { name: "a test" } }).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(9_000);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    await waiting;
    expect(done).toBe(true);
  });

  it("does not wait when midnight is further away", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 29, 23, 59, 0) });
    let done = false;
    void clearOfUtcMidnight().then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });
});
