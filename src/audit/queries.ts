import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { auditEvents } from "../db/schema";

export interface AuditRow {
  id: number;
  at: string;
  type: string;
  actor: string | null;
  userId: string | null;
  phone: string | null;
  client: string | null;
  detail: Record<string, unknown> | null;
}

function parseDetail(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * The trail, newest first, by phone (its keyed hash), by user, or all of it; `before` is the
 * `id` of the last entry of the previous page. Each filter has an index ending in the id, so a
 * page costs a range read, not a scan.
 */
export async function readAudit(
  db: Db,
  filter: { phoneHash?: string; userId?: string; before?: number; limit: number },
): Promise<{ entries: AuditRow[]; nextBefore: number | null }> {
  const conditions: SQL[] = [];
  if (filter.phoneHash) conditions.push(eq(auditEvents.phoneHash, filter.phoneHash));
  if (filter.userId) conditions.push(eq(auditEvents.userId, filter.userId));
  if (filter.before !== undefined) conditions.push(lt(auditEvents.id, filter.before));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  return {
    entries: page.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      type: r.type,
      actor: r.actor,
      userId: r.userId,
      phone: r.phoneMask,
      client: r.client,
      detail: parseDetail(r.detail),
    })),
    nextBefore: rows.length > filter.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
