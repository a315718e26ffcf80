import { eq, gt } from "drizzle-orm";
import type { Db } from "../db/client";
import { blockedRanges } from "../db/schema";
import { publish } from "../events/publish";
import type { PhoneView, RangeView } from "../limits/inspect";
import { phoneGuard, smsBudget } from "../limits/stubs";
import { numberRange, type Phone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function rangeAnswer(range: string, view: RangeView) {
  return { range, sends: view.sends, verified: view.verified, blockedUntil: iso(view.blockedUntil) };
}

export function phoneAnswer(phone: Phone, view: PhoneView) {
  return {
    phone: phone.e164,
    cooldownSeconds: view.cooldownSeconds,
    sendsLast24h: view.sendsLast24h,
    failedGuesses: view.failedGuesses,
    lockedUntil: iso(view.lockedUntil),
    passwordFailures: view.passwordFailures,
    passwordLocked: view.passwordLocked,
    range: rangeAnswer(numberRange(phone), view.range),
  };
}
export type PhoneAnswer = ReturnType<typeof phoneAnswer>;

export async function inspectPhone(scope: RequestScope, phone: Phone): Promise<PhoneAnswer> {
  return phoneAnswer(phone, await phoneGuard(scope.env, phone).inspect(phone.e164));
}

export async function unlockPhoneAsAdmin(scope: RequestScope, phone: Phone, actor: string): Promise<PhoneAnswer> {
  const view = await phoneGuard(scope.env, phone).unlock(phone.e164);
  publish(scope, { type: "admin.phone_unlocked", phone, actor });
  return phoneAnswer(phone, view);
}

function rangeGuard(env: Env, range: string) {
  return env.PHONE_GUARD.get(env.PHONE_GUARD.idFromName(range));
}

/**
 * Blocked ranges: the block itself lives in each range's Durable Object, which no one can list;
 * D1 keeps an index (a row per block, written by the audit sink on prefix.blocked). The index
 * gives the candidates, each range's object says whether it is still blocked and until when; rows
 * of blocks that ended early (lifted, or given back with the send that tripped them) are dropped.
 */
export async function listBlockedRanges(scope: RequestScope, db: Db, now = Date.now()) {
  const rows = await db.select().from(blockedRanges).where(gt(blockedRanges.blockedUntil, now)).limit(500);
  const views = await Promise.all(rows.map((row) => rangeGuard(scope.env, row.range).inspectRange()));
  const stale = rows.filter((_, i) => views[i]!.blockedUntil === null);
  for (const row of stale) scope.defer(db.delete(blockedRanges).where(eq(blockedRanges.range, row.range)).run());
  return rows.flatMap((row, i) => {
    const view = views[i]!;
    if (view.blockedUntil === null) return [];
    return [{ ...rangeAnswer(row.range, view), reason: row.reason, blockedAt: new Date(row.blockedAt).toISOString() }];
  });
}

export async function liftRangeBlock(scope: RequestScope, db: Db, range: string, actor: string): Promise<{ range: string; lifted: boolean }> {
  const { lifted } = await rangeGuard(scope.env, range).liftRangeBlock();
  await db.delete(blockedRanges).where(eq(blockedRanges.range, range));
  if (lifted) publish(scope, { type: "admin.range_unblocked", range, actor });
  return { range, lifted };
}

export async function budgetToday(scope: RequestScope) {
  return smsBudget(scope.env).status(scope.config.DAILY_SMS_BUDGET);
}
