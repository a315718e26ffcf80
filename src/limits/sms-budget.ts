import { DurableObject } from "cloudflare:workers";

/**
 * The deployment's daily SMS budget: one object for the whole deployment, one counter per UTC day.
 *
 * Why one object and no shards: a single counter is what makes "never one SMS over budget" exact
 * under any concurrency; N shards holding budget/N each would refuse while other shards still have
 * SMS left, and moving budget between shards costs more round trips than it saves. One object
 * answers on the order of 1,000 calls a second. It is called once per paid send *attempt* that
 * got past parsing, the country list and Turnstile (in parallel with PhoneGuard and ClientGuard,
 * so attempts those refuse still cost a call, plus a refund), not once per SMS. That is ~86 million
 * attempts a day against a default budget of 10,000 SMS: legitimate traffic is four orders of
 * magnitude below the ceiling. A flood above ~1,000 attempts a second would overload this object
 * (the sends fail with 500 and every limit taken for them is given back, src/codes/codes.ts); the
 * answer to that is in front of the Worker (Turnstile, which costs each attempt a solved
 * challenge, or a WAF rate-limiting rule), not more shards, since the phone and client guards
 * would be hit just as hard.
 */

/**
 * `alertNow` is true for exactly one call per UTC day: the spend that takes the last SMS, or, if
 * none did (the budget was lowered below what was already spent, or is 0), the first refusal.
 * A refund does not re-arm it, so a failed last send does not alert twice.
 */
export type BudgetResult = { ok: true; alertNow: boolean } | { ok: false; retryAfterMs: number; alertNow: boolean };

interface Today {
  day: string;
  spent: number;
  /** The day's budget.exhausted alert was already handed out. */
  alerted?: boolean;
}

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
    const stored = this.ctx.storage.kv.get<Today>("today");
    const today: Today = stored?.day === day ? stored : { day, spent: 0 };
    const alertNow = !today.alerted;
    if (today.spent >= budget) {
      if (alertNow) this.ctx.storage.kv.put("today", { ...today, alerted: true });
      return { ok: false, retryAfterMs: msUntilNextUtcDay(now), alertNow };
    }
    const spent = today.spent + 1;
    const last = spent >= budget;
    this.ctx.storage.kv.put("today", { day, spent, alerted: today.alerted || last });
    return { ok: true, alertNow: last && alertNow };
  }

  /**
   * Refuses exactly like spend() once the budget is spent, but takes nothing: for a password reset
   * to an unknown number, which sends nothing yet must answer like a reset to a known one (else
   * an exhausted budget would tell registered numbers, 503, from unknown ones, 202).
   */
  check(budget: number): BudgetResult {
    const now = Date.now();
    const today = this.ctx.storage.kv.get<Today>("today");
    const spent = today?.day === dayOf(now) ? today.spent : 0;
    if (spent >= budget) return { ok: false, retryAfterMs: msUntilNextUtcDay(now), alertNow: false };
    return { ok: true, alertNow: false };
  }

  /** Today's figures for operators (GET /v1/admin/budget): takes nothing. */
  status(budget: number): { day: string; budget: number; spent: number; left: number } {
    const now = Date.now();
    const day = dayOf(now);
    const today = this.ctx.storage.kv.get<Today>("today");
    const spent = today?.day === day ? today.spent : 0;
    return { day, budget, spent, left: Math.max(0, budget - spent) };
  }

  /**
   * Gives back an SMS that was not sent after all (the request was refused by another limit, or
   * every provider failed). If that brings the day back under budget, the alert is re-armed: the
   * alert of a spend that was given back was never logged (the Worker logs it only after delivery).
   */
  refund(budget: number): void {
    const now = Date.now();
    const today = this.ctx.storage.kv.get<Today>("today");
    if (today?.day !== dayOf(now) || today.spent <= 0) return;
    const spent = today.spent - 1;
    this.ctx.storage.kv.put("today", { day: today.day, spent, alerted: spent >= budget ? today.alerted : false });
  }
}
