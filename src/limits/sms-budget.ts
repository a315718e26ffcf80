import { DurableObject } from "cloudflare:workers";
import type { BudgetResult, Today } from "./budget";
import * as budgets from "./budget";
import { blockForLoad, grantLease, type LeaseResult, RATE_WINDOW_MS, returnUnits } from "./budget-lease";
import { budgetStatus } from "./inspect";

export type { BudgetResult } from "./budget";
export type { LeaseResult } from "./budget-lease";

/**
 * The deployment's daily SMS budget: one object for the whole deployment, one counter per UTC day.
 * The decisions are pure (src/limits/budget.ts); each method loads the counter, decides and saves
 * with no await in between, so the storage calls commit atomically and no two calls interleave.
 *
 * Why one object and no shards: a single counter is what makes "never one SMS over budget" exact
 * under any concurrency; N shards holding budget/N each would refuse while other shards still have
 * SMS left, and moving budget between shards costs more round trips than it saves. One object
 * answers on the order of 1,000 calls a second. An isolate that sends a lot leases blocks of the
 * budget (lease(), src/limits/budget-pool.ts: one call per block instead of one per SMS, still
 * exact, docs/scaling.md); one that sends little calls spend() once per paid send *attempt* that
 * got past parsing, the country list and Turnstile (in parallel with PhoneGuard and ClientGuard,
 * so attempts those refuse still cost a call, plus a refund), not once per SMS. That is ~86 million
 * attempts a day against a default budget of 10,000 SMS: legitimate traffic is four orders of
 * magnitude below the ceiling. A flood above ~1,000 attempts a second would overload this object
 * (the sends fail with 500 and every limit taken for them is given back, src/codes/); the
 * answer to that is in front of the Worker (Turnstile, which costs each attempt a solved
 * challenge, or a WAF rate-limiting rule), not more shards, since the phone and client guards
 * would be hit just as hard.
 *
 * Settings: the budget comes with every call, as the RPC has always taken it. The Worker has the
 * parsed config at hand, so this object never parses the environment, and the one number it needs
 * is passed on to the pure decisions as `{ budget }`.
 */

const TODAY = "today";

export class SmsBudget extends DurableObject<Record<string, unknown>> {
  /** When this object took its recent lease calls: only sizes blocks, never decides (kept in memory). */
  private readonly calls: number[] = [];

  private load(): Today | undefined {
    return this.ctx.storage.kv.get<Today>(TODAY);
  }

  private save(state: Today | undefined): void {
    if (state) this.ctx.storage.kv.put(TODAY, state);
  }

  /**
   * Takes one SMS from today's budget, or refuses when it is spent (see budget.ts for alertNow).
   * While this object is busy (budget-lease.ts, blockForLoad) it hands out a block instead:
   * `granted` units of `day`, all counted as spent, which the calling isolate holds.
   */
  spend(budget: number): BudgetResult & { granted?: number; day?: string } {
    const now = Date.now();
    const block = blockForLoad(this.noteCall(now));
    if (block > 1) return this.lease(budget, block);
    const decided = budgets.spend(this.load(), { budget }, now);
    this.save(decided.state);
    return decided.result;
  }

  /** Counts a call in the rate window that sizes blocks; returns the calls in it. */
  private noteCall(now: number): number {
    this.calls.push(now);
    while (this.calls.length > 0 && this.calls[0]! <= now - RATE_WINDOW_MS) this.calls.shift();
    return this.calls.length;
  }

  /** Takes up to `want` units (at least 1, at most what budget-lease.ts allows) from today's budget. */
  lease(budget: number, want: number): LeaseResult {
    const now = Date.now();
    const decided = grantLease(this.load(), { budget }, Math.max(want, blockForLoad(this.noteCall(now))), now);
    this.save(decided.state);
    return decided.result;
  }

  /** Gives back `units` of `day` that were leased and not used (nothing if that day is over). */
  giveBack(budget: number, day: string, units: number): void {
    this.save(returnUnits(this.load(), { budget }, day, units, Date.now()).state);
  }

  /** Refuses exactly like spend() once the budget is spent, but takes nothing (unknown resets). */
  check(budget: number): BudgetResult {
    return budgets.check(this.load(), { budget }, Date.now());
  }

  /** Gives back an SMS that was not sent after all; re-arms the alert if the day is back under budget. */
  refund(budget: number): void {
    this.save(budgets.refund(this.load(), { budget }, Date.now()).state);
  }

  /** Today's figures for operators (GET /v1/admin/budget): takes nothing. */
  status(budget: number): { day: string; budget: number; spent: number; left: number } {
    return budgetStatus(this.load(), { budget }, Date.now());
  }
}
