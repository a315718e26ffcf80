import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { SmsBudget } from "../../src/limits/sms-budget";
import { clearOfUtcMidnight } from "../support/time";

// These tests set up today's budget (a UTC day): never let the day change under them.
beforeEach(clearOfUtcMidnight, 60_000);

// A fresh object per test: the unit tests do not share the deployment's "global" budget.
const budget = () => env.SMS_BUDGET.get(env.SMS_BUDGET.newUniqueId());
const today = () => new Date().toISOString().slice(0, 10);

describe("SmsBudget", () => {
  it("spends up to the budget, alerting on the last SMS only, then refuses until the next UTC day", async () => {
    const stub = budget();
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await stub.spend(3));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, false]);
    expect(results.map((r) => r.alertNow)).toEqual([false, false, true, false, false]);
    const refused = results[3]!;
    if (refused.ok) throw new Error("expected a refusal");
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(midnight.getTime() - Date.now() + 1000);
  });

  it("re-arms the alert when the spend that took the last SMS is given back", async () => {
    // The Worker logs the alert only once that SMS went out; a given-back spend never logged it.
    const stub = budget();
    expect(await stub.spend(1)).toEqual({ ok: true, alertNow: true });
    await stub.refund(1);
    expect(await stub.spend(1)).toEqual({ ok: true, alertNow: true });
    expect(await stub.spend(1)).toEqual({ ok: false, retryAfterMs: expect.any(Number), alertNow: false });
  });

  it("alerts at the first refusal when the day was already over budget", async () => {
    const stub = budget();
    await runInDurableObject(stub, (_instance: SmsBudget, state) => state.storage.kv.put("today", { day: today(), spent: 50 }));
    expect((await stub.spend(10)).alertNow).toBe(true);
    expect((await stub.spend(10)).alertNow).toBe(false);
    expect((await stub.spend(0)).ok).toBe(false);
  });

  it("starts every UTC day at 0", async () => {
    const stub = budget();
    await runInDurableObject(stub, (_instance: SmsBudget, state) => state.storage.kv.put("today", { day: "2000-01-01", spent: 99, alerted: true }));
    expect(await stub.spend(100)).toEqual({ ok: true, alertNow: false });
    expect(await runInDurableObject(stub, (_instance: SmsBudget, state) => state.storage.kv.get("today"))).toEqual({ day: today(), spent: 1, alerted: false });
  });

  it("check() refuses like spend() but takes nothing", async () => {
    const stub = budget();
    expect((await stub.check(1)).ok).toBe(true);
    await stub.spend(1);
    const checked = await stub.check(1);
    expect(checked.ok).toBe(false);
    expect(checked.alertNow).toBe(false);
    await stub.refund(1);
    expect((await stub.check(1)).ok).toBe(true);
  });

  it("never goes over the budget under 100 parallel spends", async () => {
    const stub = budget();
    const results = await Promise.all(Array.from({ length: 100 }, () => stub.spend(37)));
    expect(results.filter((r) => r.ok)).toHaveLength(37);
    expect(results.filter((r) => r.alertNow)).toHaveLength(1);
  });
});
