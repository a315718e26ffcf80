import { DurableObject } from "cloudflare:workers";

/**
 * The deployment's daily SMS budget: one object for the whole deployment, one counter per UTC day.
 *
 * Why one object and no shards: one object answers ~1,000 requests a second and each call here is
 * one SMS about to be paid for. 1,000 SMS a second is 86 million a day, far above any budget this
 * service is meant for (default 10,000), and a single counter is what makes "never one SMS over
 * budget" exact. Sharding would split the budget into N parts that can each run dry early.
 */

export type BudgetResult = { ok: true; exhaustedNow: boolean } | { ok: false; retryAfterMs: number };

const dayOf = (now: number) => new Date(now).toISOString().slice(0, 10);

function msUntilNextUtcDay(now: number): number {
  const next = new Date(now);
  next.setUTCHours(24, 0, 0, 0);
  return next.getTime() - now;
}

export class SmsBudget extends DurableObject<Record<string, unknown>> {
  /** Takes one SMS from today's budget, or refuses when it is spent. */
  spend(budget: number): BudgetResult {
    const now = Date.now();
    const day = dayOf(now);
    const spent = this.ctx.storage.kv.get<{ day: string; spent: number }>("today");
    const count = spent?.day === day ? spent.spent : 0;
    if (count >= budget) return { ok: false, retryAfterMs: msUntilNextUtcDay(now) };
    this.ctx.storage.kv.put("today", { day, spent: count + 1 });
    return { ok: true, exhaustedNow: count + 1 === budget };
  }

  /** Gives back an SMS that was not sent after all (every provider failed). */
  refund(): void {
    const now = Date.now();
    const spent = this.ctx.storage.kv.get<{ day: string; spent: number }>("today");
    if (spent?.day === dayOf(now) && spent.spent > 0) this.ctx.storage.kv.put("today", { day: spent.day, spent: spent.spent - 1 });
  }
}
