import type { Tally } from "./counters";

/** One row of the audit trail as written (the phone and client already keyed-hashed); queries.ts `AuditRow` is the row as read. */
export interface TrailRow {
  at: number;
  type: string;
  actor: string | null;
  userId: string | null;
  phoneHash: string | null;
  phoneMask: string | null;
  client: string | null;
  /** JSON text. */
  detail: string | null;
}

/*
 * Each table gets one statement whatever the number of rows: the rows travel as one JSON array
 * bound to a single parameter and are unpacked by SQLite's json_each. D1 allows 100 bound
 * parameters per statement, and counts every statement of a batch toward the per-invocation query
 * limit (50 on the Free plan), so a statement per row would cap a write at a few dozen rows.
 * Written as plain D1 statements rather than drizzle builders: they are fixed, run on every
 * sign-in, and building them costs more than running them (docs/benchmark.md). Their columns are
 * those of src/db/schema.ts (migrations/0003_admin.sql); the admin tests read them back through
 * drizzle.
 */
const column = (i: number) => `json_extract(value, '$[${i}]')`;
const columns = (n: number) => Array.from({ length: n }, (_, i) => column(i)).join(", ");

const INSERT_AUDIT = `INSERT INTO audit_events (at, type, actor, user_id, phone_hash, phone_mask, client, detail)
SELECT ${columns(8)} FROM json_each(?1) ORDER BY key`;

// `WHERE true`: SQLite's documented way to let an upsert follow INSERT … SELECT.
const ADD_HOURLY = `INSERT INTO stats_hourly (hour, provider, country, sent, failed, verified)
SELECT ${columns(6)} FROM json_each(?1) WHERE true
ON CONFLICT (hour, provider, country) DO UPDATE SET sent = sent + excluded.sent, failed = failed + excluded.failed, verified = verified + excluded.verified`;

const ADD_RANGES = `INSERT INTO stats_ranges (day, range, sent, verified)
SELECT ${columns(4)} FROM json_each(?1) WHERE true
ON CONFLICT (day, range) DO UPDATE SET sent = sent + excluded.sent, verified = verified + excluded.verified`;

const PUT_BLOCKS = `INSERT INTO blocked_ranges (range, blocked_at, blocked_until, reason)
SELECT ${columns(4)} FROM json_each(?1) WHERE true
ON CONFLICT (range) DO UPDATE SET blocked_at = excluded.blocked_at, blocked_until = excluded.blocked_until, reason = excluded.reason`;

/** The trail's rows and the tally's counters in one D1 batch (atomic): at most four statements. */
export async function writeTrail(d1: D1Database, rows: readonly TrailRow[], tally: Tally): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  const add = (sql: string, values: unknown[][]) => {
    if (values.length > 0) statements.push(d1.prepare(sql).bind(JSON.stringify(values)));
  };
  add(
    INSERT_AUDIT,
    rows.map((r) => [r.at, r.type, r.actor, r.userId, r.phoneHash, r.phoneMask, r.client, r.detail]),
  );
  add(
    ADD_HOURLY,
    [...tally.hourly.values()].map((c) => [c.hour, c.provider, c.country, c.sent, c.failed, c.verified]),
  );
  add(
    ADD_RANGES,
    [...tally.ranges.values()].map((c) => [c.day, c.range, c.sent, c.verified]),
  );
  add(
    PUT_BLOCKS,
    [...tally.blocks.values()].map((b) => [b.range, b.blockedAt, b.blockedUntil, b.reason]),
  );
  if (statements.length > 0) await d1.batch(statements);
}
