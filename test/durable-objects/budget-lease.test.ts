import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { BudgetPool, type Taken } from "../../src/limits/budget-pool";
import type { SmsBudget } from "../../src/limits/sms-budget";
import { clearOfUtcMidnight } from "../support/time";

// These tests set up today's budget (a UTC day): never let the day change under them.
beforeEach(clearOfUtcMidnight, 60_000);

// A fresh object per test: these do not share the deployment's "global" budget.
const fresh = () => {
  const id = env.SMS_BUDGET.newUniqueId();
  return () => env.SMS_BUDGET.get(id);
};
const spentOf = (stub: DurableObjectStub<SmsBudget>) =>
  runInDurableObject(stub, (_instance: SmsBudget, state) => state.storage.kv.get<{ spent: number }>("today")?.spent ?? 0);
const noDefer = (work: Promise<unknown>) => void work.catch(() => {});

describe("SmsBudget leases", () => {
  it("never grants more than the budget under 100 parallel leases, and alerts once", async () => {
    const stub = fresh()();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => stub.lease(500, (i % 32) + 1)));
    const granted = results.reduce((n, r) => n + (r.ok ? r.granted : 0), 0);
    expect(granted).toBe(500);
    expect(results.filter((r) => r.alertNow)).toHaveLength(1);
    expect(await spentOf(stub)).toBe(500);
  });

  it("hands out blocks on its own once it is busy, still never more than the budget", async () => {
    const stub = fresh()();
    // Called inside the object (no RPC per call), so that 2,100 calls fit in its 10 s rate window.
    const results = await runInDurableObject(stub, (instance: SmsBudget) => Array.from({ length: 2_100 }, () => instance.lease(1_000_000, 1)));
    const granted = results.map((r) => (r.ok ? r.granted : 0));
    expect(granted.slice(0, 100).every((g) => g === 1)).toBe(true);
    expect(Math.max(...granted)).toBeGreaterThan(1);
    expect(await spentOf(stub)).toBe(granted.reduce((a, b) => a + b, 0));
  });

  it("takes back unused units of today only", async () => {
    const stub = fresh()();
    const lease = await stub.lease(1000, 10);
    if (!lease.ok) throw new Error("expected a grant");
    expect(lease.granted).toBe(10);
    await stub.giveBack(1000, lease.day, 4);
    await stub.giveBack(1000, "2000-01-01", 4);
    expect(await spentOf(stub)).toBe(6);
  });
});

describe("an isolate's budget pool", () => {
  it("with one call per SMS below its rate threshold, is exactly spend/refund", async () => {
    const stub = fresh();
    const pool = new BudgetPool(stub, 3);
    const taken = [];
    for (let i = 0; i < 4; i += 1) taken.push(await pool.take(noDefer));
    expect(taken.map((t) => t.ok)).toEqual([true, true, true, false]);
    expect(taken.map((t) => t.alertNow)).toEqual([false, false, true, false]);
    await pool.giveBack(taken[0]!);
    expect(await spentOf(stub())).toBe(2);
  });

  it("leases blocks when busy: 300 parallel sends over a budget of 200 take exactly 200 units, one SMS each", async () => {
    const stub = fresh();
    const pool = new BudgetPool(stub, 200, 1);
    const taken = await Promise.all(Array.from({ length: 300 }, () => pool.take(noDefer)));
    expect(taken.filter((t) => t.ok)).toHaveLength(200);
    expect(taken.filter((t) => t.alertNow)).toHaveLength(1);
    expect(await spentOf(stub())).toBe(200);
  });

  it("two isolates' pools together never exceed the budget, and units given back are used again before any new lease", async () => {
    const stub = fresh();
    const a = new BudgetPool(stub, 120, 1);
    const b = new BudgetPool(stub, 120, 1);
    const first = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).take(noDefer)));
    // Half of a's SMS are refused by another limit: their units go back to a's block.
    const given = first.filter((t, i) => t.ok && i % 2 === 1).slice(0, 20) as Taken[];
    await Promise.all(given.map((t) => a.giveBack(t)));
    const second = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).take(noDefer)));
    const sent = first.filter((t) => t.ok).length - given.length + second.filter((t) => t.ok).length;
    expect(sent).toBeLessThanOrEqual(120);
    expect(await spentOf(stub())).toBe(120);
    // Both pools are empty or the day is spent: nothing was granted twice.
    expect(sent).toBe(120 - (await heldBy(a)) - (await heldBy(b)));
  });

  it("check() answers from a held block without a call, and refuses like take() once the day is spent", async () => {
    const stub = fresh();
    const pool = new BudgetPool(stub, 40, 1);
    expect((await pool.take(noDefer)).ok).toBe(true);
    expect(await pool.check()).toEqual({ ok: true, alertNow: false });
    while ((await pool.take(noDefer)).ok);
    expect((await pool.check()).ok).toBe(false);
  });
});

/** Units a pool still holds (taken and put back again, so the pool is unchanged). */
async function heldBy(pool: BudgetPool): Promise<number> {
  const taken: Taken[] = [];
  for (;;) {
    const t = await pool.take(noDefer, Date.now());
    if (!t.ok || t.from !== "held") {
      if (t.ok) await pool.giveBack(t);
      break;
    }
    taken.push(t);
    if (taken.length > 1000) break;
  }
  // Anything taken by a new lease would have shown as spent; put back only what was held.
  for (const t of taken) await pool.giveBack(t);
  return taken.length;
}
