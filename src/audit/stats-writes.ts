import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { blockedRanges, statsHourly, statsRanges } from "../db/schema";
import type { DomainEvent } from "../events/types";
import { numberRange } from "../phone/phone";

const HOUR = 3600_000;

export const hourOf = (now: number) => Math.floor(now / HOUR) * HOUR;
export const dayOf = (now: number) => new Date(now).toISOString().slice(0, 10);

type Counter = "sent" | "failed" | "verified";

function countHour(db: Db, now: number, provider: string, country: string, counter: Counter) {
  return db
    .insert(statsHourly)
    .values({ hour: hourOf(now), provider, country, [counter]: 1 })
    .onConflictDoUpdate({ target: [statsHourly.hour, statsHourly.provider, statsHourly.country], set: { [counter]: sql`${statsHourly[counter]} + 1` } });
}

function countRange(db: Db, now: number, range: string, counter: "sent" | "verified") {
  return db
    .insert(statsRanges)
    .values({ day: dayOf(now), range, [counter]: 1 })
    .onConflictDoUpdate({ target: [statsRanges.day, statsRanges.range], set: { [counter]: sql`${statsRanges[counter]} + 1` } });
}

/**
 * The counter updates an event makes: the daily and hourly aggregates /v1/admin/stats reads (so no
 * figure needs a scan of the audit trail) and the index of blocked ranges. Each is one upsert, run
 * in the same batch as the audit row.
 */
export function statsWritesOf(db: Db, event: DomainEvent, now: number, blockSeconds: number) {
  switch (event.type) {
    case "code.sent":
      return [countHour(db, now, event.provider, event.phone.country, "sent"), countRange(db, now, numberRange(event.phone), "sent")];
    case "sms.failed":
      return [countHour(db, now, event.provider, event.phone.country, "failed")];
    case "code.verified":
      // Test numbers (no provider) cost nothing and say nothing about conversion.
      if (!event.provider) return [];
      return [countHour(db, now, event.provider, event.phone.country, "verified"), countRange(db, now, numberRange(event.phone), "verified")];
    case "prefix.blocked": {
      const row = { range: event.range, blockedAt: now, blockedUntil: now + blockSeconds * 1000, reason: "low_conversion" };
      return [db.insert(blockedRanges).values(row).onConflictDoUpdate({ target: blockedRanges.range, set: row })];
    }
    default:
      return [];
  }
}
