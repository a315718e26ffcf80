import type { Decision } from "./decision";

/**
 * The deployment's daily SMS budget as pure decisions on one counter per UTC day (SmsBudget
 * stores it under `today`). A new UTC day starts at 0, whatever the stored day held.
 */

/**
 * `alertNow` is true for exactly one call per UTC day: the spend that takes the last SMS, or, if
 * none did (the budget was lowered below what was already spent, or is 0), the first refusal.
 * A refund does not re-arm it, so a failed last send does not alert twice.
 */
export type BudgetResult = { ok: true; alertNow: boolean } | { ok: false; retryAfterMs: number; alertNow: boolean };

export interface Today {
  day: string;
  spent: number;
  /** The day's budget.exhausted alert was already handed out. */
  alerted?: boolean | undefined;
}

/** The budget comes with each call (DAILY_SMS_BUDGET, from the Worker's config). */
export interface BudgetSettings {
  budget: number;
}

export const dayOf = (now: number): string => new Date(now).toISOString().slice(0, 10);

export function msUntilNextUtcDay(now: number): number {
  const next = new Date(now);
  next.setUTCHours(24, 0, 0, 0);
  return next.getTime() - now;
}

/** Takes one SMS from today's budget, or refuses when it is spent. */
export function spend(stored: Today | undefined, settings: BudgetSettings, now: number): Decision<BudgetResult, Today> {
  const day = dayOf(now);
  const today: Today = stored?.day === day ? stored : { day, spent: 0 };
  const alertNow = !today.alerted;
  if (today.spent >= settings.budget) {
    return { result: { ok: false, retryAfterMs: msUntilNextUtcDay(now), alertNow }, state: alertNow ? { ...today, alerted: true } : undefined };
  }
  const spent = today.spent + 1;
  const last = spent >= settings.budget;
  return { result: { ok: true, alertNow: last && alertNow }, state: { day, spent, alerted: today.alerted || last } };
}

/**
 * Refuses exactly like spend() once the budget is spent, but takes nothing: for a password reset
 * to an unknown number, which sends nothing yet must answer like a reset to a known one (else
 * an exhausted budget would tell registered numbers, 503, from unknown ones, 202).
 */
export function check(stored: Today | undefined, settings: BudgetSettings, now: number): BudgetResult {
  const spent = stored?.day === dayOf(now) ? stored.spent : 0;
  if (spent >= settings.budget) return { ok: false, retryAfterMs: msUntilNextUtcDay(now), alertNow: false };
  return { ok: true, alertNow: false };
}

/**
 * Gives back an SMS that was not sent after all (the request was refused by another limit, or
 * every provider failed). If that brings the day back under budget, the alert is re-armed: the
 * alert of a spend that was given back was never logged (the Worker logs it only after delivery).
 * Nothing is given back to a day that is over, or below 0.
 */
export function refund(stored: Today | undefined, settings: BudgetSettings, now: number): Decision<void, Today> {
  if (stored?.day !== dayOf(now) || stored.spent <= 0) return { result: undefined, state: undefined };
  const spent = stored.spent - 1;
  return { result: undefined, state: { day: stored.day, spent, alerted: spent >= settings.budget ? stored.alerted : false } };
}
