import { fillPlaceholders, type Query } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";

/**
 * D1 batches of drizzle queries that are built once per isolate, with `sql.placeholder()` where
 * each request's values go, instead of once per request.
 *
 * Why: building a query is drizzle's costly part (its SQL walker checks every chunk's kind); the
 * phone sign-in's batch (five statements then) took ~0.3 ms of CPU to build on every sign-in, measured in
 * workerd (docs/benchmark.md). drizzle's own `db.batch()` cannot take placeholders (it binds a
 * built query's params as they are), so this does what drizzle-orm/d1/session.js `batch()` does,
 * with the values filled in: `getQuery()` for the SQL and params, one D1 `batch` (atomic: one
 * transaction), and `mapResult(result, true)` so each result has the shape drizzle gives it.
 */

/** The part of drizzle's prepared query (SQLitePreparedQuery) a batch needs. */
export interface PreparedQuery {
  getQuery(): Query;
  mapResult(response: unknown, isFromBatch?: boolean): unknown;
}

/**
 * A query builder (insert, select, delete …) as a prepared query. `_prepare()` is what drizzle's
 * own batch calls on each item; its type is not exported for every builder, hence the cast.
 */
export function prepareQuery(item: BatchItem<"sqlite">): PreparedQuery {
  return (item as unknown as { _prepare(): PreparedQuery })._prepare();
}

/** Runs `queries` in one D1 batch, each placeholder bound from `values`; answers drizzle-shaped results. */
export async function runBatch(d1: D1Database, queries: readonly PreparedQuery[], values: Record<string, unknown>): Promise<unknown[]> {
  const statements = queries.map((query) => {
    const { sql, params } = query.getQuery();
    return d1.prepare(sql).bind(...fillPlaceholders(params, values));
  });
  const results = await d1.batch(statements);
  return results.map((result, i) => queries[i]!.mapResult(result, true));
}
