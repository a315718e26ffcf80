import { type BudgetSettings, dayOf, msUntilNextUtcDay, type Today } from "./budget";
import type { Decision } from "./decision";
import { noteRecent } from "./window";

/**
 * The daily SMS budget, leased in blocks: the pure decisions behind SmsBudget (the one object
 * that counts the day) and BudgetPool (what one isolate holds of it). docs/scaling.md explains why.
 *
 * Exactness: a unit of budget is counted as spent by SmsBudget the moment it is granted, before
 * any SMS it covers is sent, so the SMS sent in a day never exceed DAILY_SMS_BUDGET whatever the
 * isolates do. A unit an isolate holds and does not use is either given back (returnUnits) or,
 * if the isolate dies holding it, lost for the day: the budget then refuses a little early,
 * never late. The bound on that loss is the block size: MAX_BLOCK, and never more than
 * 1/LOW_WATER_DIVISOR of what is left, so the last units of a day go out one by one.
 */

/** The sends one isolate must have made within RATE_WINDOW_MS before it leases blocks. */
export const BLOCK_MIN_SENDS = 300;
export const RATE_WINDOW_MS = 10_000;
/** The most units one lease hands out. */
export const MAX_BLOCK = 32;
/** Calls SmsBudget takes in RATE_WINDOW_MS before it hands out blocks on its own (200 a second). */
export const OBJECT_BUSY_CALLS = 2_000;
/** What SmsBudget aims for when it is busy: about this many calls a second, whatever the traffic. */
export const OBJECT_TARGET_CALLS_PER_SECOND = 100;
/** A lease may hold at most this fraction (1/n) of what is left of the day. */
export const LOW_WATER_DIVISOR = 16;
/** Units older than this go back to SmsBudget at the isolate's next send. */
export const LEASE_TTL_MS = 30_000;

/**
 * How many units an isolate asks for at once: 1 (one call per SMS, no unit ever held) until it
 * sends at BLOCK_MIN_SENDS per RATE_WINDOW_MS; then about one second of its own sends, at most MAX_BLOCK.
 */
export function blockWanted(recentSends: number, blockMinSends = BLOCK_MIN_SENDS): number {
  if (recentSends < blockMinSends) return 1;
  return Math.max(1, Math.min(MAX_BLOCK, Math.ceil((recentSends * 1000) / RATE_WINDOW_MS)));
}

/** A lease: `granted` units of `day`'s budget, already counted as spent. */
/**
 * The block SmsBudget hands out, whatever was asked, given the calls it took in the last
 * RATE_WINDOW_MS: 1 until it is busy (OBJECT_BUSY_CALLS), then enough that its calls fall back to
 * about OBJECT_TARGET_CALLS_PER_SECOND. This is what keeps the one object under its ~1,000 calls a
 * second when sends are spread thin over many isolates, none of them busy enough to ask for blocks.
 */
export function blockForLoad(recentCalls: number): number {
  if (recentCalls < OBJECT_BUSY_CALLS) return 1;
  const perSecond = (recentCalls * 1000) / RATE_WINDOW_MS;
  return Math.min(MAX_BLOCK, Math.ceil(perSecond / OBJECT_TARGET_CALLS_PER_SECOND));
}

export type LeaseResult = { ok: true; granted: number; day: string; alertNow: boolean } | { ok: false; retryAfterMs: number; alertNow: boolean };

/**
 * Takes up to `want` units from today's budget. `alertNow` is true for exactly one call a UTC day:
 * the grant that takes the last unit or, if none did (the budget was lowered below what was
 * already spent, or is 0), the first refusal: the same rule as budget.ts's spend(), which is a
 * lease of one unit.
 */
export function grantLease(stored: Today | undefined, settings: BudgetSettings, want: number, now: number): Decision<LeaseResult, Today> {
  const day = dayOf(now);
  const today: Today = stored?.day === day ? stored : { day, spent: 0 };
  const alertNow = !today.alerted;
  const left = settings.budget - today.spent;
  if (left <= 0) {
    return { result: { ok: false, retryAfterMs: msUntilNextUtcDay(now), alertNow }, state: alertNow ? { ...today, alerted: true } : undefined };
  }
  const granted = Math.max(1, Math.min(Math.floor(want), left, Math.floor(left / LOW_WATER_DIVISOR)));
  const spent = today.spent + granted;
  const last = spent >= settings.budget;
  return { result: { ok: true, granted, day, alertNow: last && alertNow }, state: { day, spent, alerted: today.alerted || last } };
}

/**
 * Gives back `units` granted on `day` and not used. Units of an earlier day are dropped (that day
 * is over). If that brings the day back under budget, the alert is re-armed: the alert of a grant
 * that was given back was never logged (the Worker logs it only after delivery).
 */
export function returnUnits(stored: Today | undefined, settings: BudgetSettings, day: string, units: number, now: number): Decision<void, Today> {
  if (stored?.day !== dayOf(now) || stored.day !== day || stored.spent <= 0 || units <= 0) return { result: undefined, state: undefined };
  const spent = Math.max(0, stored.spent - units);
  return { result: undefined, state: { day: stored.day, spent, alerted: spent >= settings.budget ? stored.alerted : false } };
}

/** What one isolate holds: units granted on `day`, when they were leased, its recent sends. */
export interface PoolState {
  day: string;
  units: number;
  leasedAt: number;
  /** Times of this isolate's recent paid sends (the rate that sizes its leases). */
  recent: number[];
}

export const emptyPool = (): PoolState => ({ day: "", units: 0, leasedAt: 0, recent: [] });

/** Counts one send at `now` and forgets the sends that left the rate window. */
export function noteSend(pool: PoolState, now: number): void {
  noteRecent(pool.recent, now, RATE_WINDOW_MS);
}

/**
 * Units this isolate should give back before going on: those of an earlier day are dropped (0:
 * that day is over), those held past LEASE_TTL_MS are returned. Empties the pool in both cases.
 */
export function staleUnits(pool: PoolState, now: number): { day: string; units: number } | undefined {
  if (pool.units === 0) return undefined;
  if (pool.day !== dayOf(now)) {
    pool.units = 0;
    return undefined;
  }
  if (now - pool.leasedAt < LEASE_TTL_MS) return undefined;
  const stale = { day: pool.day, units: pool.units };
  pool.units = 0;
  return stale;
}

/** Takes one held unit for today, if there is one. */
export function takeHeld(pool: PoolState, now: number): boolean {
  if (pool.units <= 0 || pool.day !== dayOf(now)) return false;
  pool.units -= 1;
  return true;
}

/** Keeps the rest of a grant (all but the unit the caller uses now). */
export function holdRest(pool: PoolState, day: string, granted: number, now: number): void {
  if (pool.day !== day) {
    pool.day = day;
    pool.units = 0;
  }
  if (granted <= 1) return;
  pool.units += granted - 1;
  pool.leasedAt = now;
}

/** Puts back a held unit that was not used after all (its SMS was refused or not delivered). */
export function putBack(pool: PoolState, day: string, now: number): boolean {
  if (day !== dayOf(now) || pool.day !== day) return false;
  pool.units += 1;
  return true;
}
