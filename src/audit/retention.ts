import { inArray, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { auditEvents, blockedRanges, statsHourly, statsRanges } from "../db/schema";
import { dayOf } from "./counters";

const DAY = 24 * 3600_000;
/** The counters behind /stats are small (an hour × provider × country row); they are kept this long. */
export const STATS_RETENTION_DAYS = 90;
// Old entries go in slices, so a first prune after a long pause never becomes one huge statement.
const SLICE = 5000;
const MAX_SLICES = 100;

/**
 * The daily sweep of the admin tables: audit entries older than AUDIT_RETENTION_DAYS, counters
 * older than STATS_RETENTION_DAYS, and index rows of range blocks that have run out. Returns how
 * many audit entries went.
 */
export async function pruneAdminTables(db: Db, now: number, auditRetentionDays: number): Promise<{ audit: number }> {
  const cutoff = now - auditRetentionDays * DAY;
  let audit = 0;
  for (let slice = 0; slice < MAX_SLICES; slice += 1) {
    const old = db.select({ id: auditEvents.id }).from(auditEvents).where(lt(auditEvents.at, cutoff)).limit(SLICE);
    const gone = await db.delete(auditEvents).where(inArray(auditEvents.id, old)).returning({ id: auditEvents.id });
    audit += gone.length;
    if (gone.length < SLICE) break;
  }
  const statsCutoff = now - STATS_RETENTION_DAYS * DAY;
  await db.batch([
    db.delete(statsHourly).where(lt(statsHourly.hour, statsCutoff)),
    db.delete(statsRanges).where(lt(statsRanges.day, dayOf(statsCutoff))),
    db.delete(blockedRanges).where(lt(blockedRanges.blockedUntil, now)),
  ]);
  return { audit };
}
