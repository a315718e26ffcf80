import { DurableObject } from "cloudflare:workers";
import { type BudgetDay, dayOf, grantLease, msUntilNextUtcDay, returnUnits } from "./budget-lease";

/**
 * The deployment's daily SMS budget: one object for the whole deployment, one counter per UTC day.
 *
 * Why one object and no shards: a single counter is what makes "never one SMS over budget" exact
 * under any concurrency; N shards holding budget/N each would refuse while other shards still have
 * SMS left. One object answers on the order of 1,000 calls a second. An isolate that sends little
 * calls spend() once per paid send attempt (in parallel with PhoneGuard and ClientGuard, so
 * attempts those refuse cost a call plus a refund); an isolate that sends a lot leases blocks of
 * units (lease(), src/limits/budget-pool.ts) and calls once per block. The decisions are pure
 * functions in budget-lease.ts; docs/scaling.md has the figures. A flood above what this object
 * answers fails the sends with 500 (every limit taken for them is given back); the answer to that
 * is in front of the Worker (Turnstile, a WAF rate-limiting rule), not more shards.
 */

/**
 * `alertNow` is true for exactly one call per UTC day: the spend that takes the last SMS, or, if
 * none did (the budget was lowered below what was already spent, or is 0), the first refusal.
 * A refund does not re-arm it, so a failed last send does not alert twice.
 */
export type BudgetResult = { ok: true; alertNow: boolean } | { ok: false; retryAfterMs: number; alertNow: boolean };

/** A lease: `granted` units of `day`'s budget, already counted as spent. */
export type LeaseResult = { ok: true; granted: number; day: string; alertNow: boolean } | { ok: false; retryAfterMs: number; alertNow: boolean };

const KEY = "today";

export class SmsBudget extends DurableObject<Record<string, unknown>> {
  /** Takes up to `want` units (at least 1) from today's budget, or refuses when it is spent. */
  lease(budget: number, want: number): LeaseResult {
    const grant = grantLease(this.ctx.storage.kv.get<BudgetDay>(KEY), budget, want, Date.now());
    if (grant.next) this.ctx.storage.kv.put(KEY, grant.next);
    if (!grant.ok) return { ok: false, retryAfterMs: grant.retryAfterMs, alertNow: grant.alertNow };
    return { ok: true, granted: grant.granted, day: grant.day, alertNow: grant.alertNow };
  }

  /** Gives back `units` of `day` that were leased and not used (nothing if that day is over). */
  giveBack(budget: number, day: string, units: number): void {
    const next = returnUnits(this.ctx.storage.kv.get<BudgetDay>(KEY), budget, day, units, Date.now());
    if (next) this.ctx.storage.kv.put(KEY, next);
  }

  /** Takes one SMS from today's budget, or refuses when it is spent. */
  spend(budget: number): BudgetResult {
    const result = this.lease(budget, 1);
    return result.ok ? { ok: true, alertNow: result.alertNow } : result;
  }

  /**
   * Refuses exactly like spend() once the budget is spent, but takes nothing: for a password reset
   * to an unknown number, which sends nothing yet must answer like a reset to a known one (else
   * an exhausted budget would tell registered numbers, 503, from unknown ones, 202).
   */
  check(budget: number): BudgetResult {
    const now = Date.now();
    const today = this.ctx.storage.kv.get<BudgetDay>(KEY);
    const spent = today?.day === dayOf(now) ? today.spent : 0;
    if (spent >= budget) return { ok: false, retryAfterMs: msUntilNextUtcDay(now), alertNow: false };
    return { ok: true, alertNow: false };
  }

  /**
   * Gives back an SMS that was not sent after all (the request was refused by another limit, or
   * every provider failed). If that brings the day back under budget, the alert is re-armed: the
   * alert of a spend that was given back was never logged (the Worker logs it only after delivery).
   */
  refund(budget: number): void {
    this.giveBack(budget, dayOf(Date.now()), 1);
  }
}
