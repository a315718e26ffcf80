import type { RequestScope } from "../platform/scope";
import { dayOf } from "./budget";
import { blockWanted, emptyPool, holdRest, noteSend, type PoolState, putBack, staleUnits, takeHeld } from "./budget-lease";
import type { BudgetResult, LeaseResult, SmsBudget } from "./sms-budget";

/**
 * What this isolate holds of the daily SMS budget (the decisions are in budget-lease.ts).
 *
 * An isolate that sends little asks SmsBudget once per SMS (spend / refund), exactly as if there
 * were no pool. One that sends a lot (BLOCK_MIN_SENDS within RATE_WINDOW_MS) leases a block of
 * units in one call and takes from it locally with no call at all; a unit not used (the send was
 * refused by another limit, or not delivered) goes back to the block, and what is still held
 * after LEASE_TTL_MS goes back to SmsBudget at the next send. Every unit was counted by SmsBudget
 * before any SMS it covers, so the day's SMS never exceed the budget.
 */

/** One unit taken for one SMS, and where it came from (so that a give-back goes to the same place). */
export type Taken = (BudgetResult & { ok: true; from: "call" }) | (BudgetResult & { ok: true; from: "held"; day: string }) | (BudgetResult & { ok: false });

type BudgetStub = Pick<DurableObjectStub<SmsBudget>, "spend" | "check" | "refund" | "lease" | "giveBack">;

export class BudgetPool {
  private readonly state: PoolState = emptyPool();
  /** One block lease at a time: sends arriving while it is under way wait for it, then take from it. */
  private leasing: Promise<unknown> | undefined;
  /** A grant's alert whose send was given back: handed to the next send that goes out. */
  private pendingAlert = false;

  constructor(
    private readonly stub: () => BudgetStub,
    private readonly budget: number,
    private readonly blockMinSends?: number,
  ) {}

  /** Takes one SMS from the budget; `defer` returns stale units after the answer. */
  async take(defer: (work: Promise<unknown>) => void, now = Date.now()): Promise<Taken> {
    noteSend(this.state, now);
    for (;;) {
      const stale = staleUnits(this.state, now);
      if (stale) defer(this.stub().giveBack(this.budget, stale.day, stale.units));
      if (takeHeld(this.state, now)) return { ok: true, from: "held", day: this.state.day, alertNow: this.takeAlert() };
      if (!this.leasing) break;
      await this.leasing.catch(() => {});
    }
    const want = blockWanted(this.state.recent.length, this.blockMinSends);
    let lease: LeaseResult;
    if (want <= 1) {
      // A quiet isolate: one spend() per SMS, in parallel with other sends (no waiting on each
      // other). A busy SmsBudget may answer it with a block (granted > 1), held like a lease.
      const spent = await this.stub().spend(this.budget);
      if (!spent.ok) return spent;
      if (spent.granted === undefined || spent.granted <= 1 || spent.day === undefined) return { ok: true, from: "call", alertNow: spent.alertNow };
      lease = { ok: true, granted: spent.granted, day: spent.day, alertNow: spent.alertNow };
    } else {
      const call = this.stub().lease(this.budget, want);
      this.leasing = call;
      try {
        lease = await call;
      } finally {
        if (this.leasing === call) this.leasing = undefined;
      }
    }
    if (!lease.ok) return lease;
    // A single unit is given back to SmsBudget (refund) if unused, exactly like a spend() of old;
    // the rest of a block (asked for, or handed out by a busy SmsBudget) is held here.
    if (lease.granted === 1) return { ok: true, from: "call", alertNow: lease.alertNow };
    holdRest(this.state, lease.day, lease.granted, Date.now());
    return { ok: true, from: "held", day: lease.day, alertNow: lease.alertNow };
  }

  /** Refuses like take() when the budget is spent, takes nothing (a reset to an unknown number). */
  async check(now = Date.now()): Promise<BudgetResult> {
    if (this.state.units > 0 && this.state.day === dayOf(now)) return { ok: true, alertNow: false };
    return this.stub().check(this.budget);
  }

  /** Gives back a unit whose SMS was not sent after all. */
  async giveBack(taken: Taken | BudgetResult, now = Date.now()): Promise<void> {
    // Nothing to give back for a refusal or a check().
    if (!taken.ok || !("from" in taken)) return;
    if (taken.from === "call") return this.stub().refund(this.budget);
    if (taken.alertNow) this.pendingAlert = true;
    // A unit of a day that is over is simply dropped; it was counted against that day.
    putBack(this.state, taken.day, now);
  }

  private takeAlert(): boolean {
    const alert = this.pendingAlert;
    this.pendingAlert = false;
    return alert;
  }
}

// One pool per budget binding and budget figure: a binding is the same object for the isolate's
// life; a different DAILY_SMS_BUDGET (a test's env) gets a pool of its own.
const pools = new WeakMap<object, Map<number, BudgetPool>>();

/** This isolate's share of the deployment's daily SMS budget. */
export function budgetPool(scope: RequestScope): BudgetPool {
  const namespace = scope.env.SMS_BUDGET;
  let byBudget = pools.get(namespace);
  if (!byBudget) {
    byBudget = new Map();
    pools.set(namespace, byBudget);
  }
  const budget = scope.config.DAILY_SMS_BUDGET;
  let pool = byBudget.get(budget);
  if (!pool) {
    // A fresh stub per call: a stub that saw an error may stay broken, the id is what is worth keeping.
    const id = namespace.idFromName("global");
    pool = new BudgetPool(() => namespace.get(id), budget);
    byBudget.set(budget, pool);
  }
  return pool;
}
