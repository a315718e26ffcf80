import { pruneAdminTables } from "./audit/retention";
import { createDb } from "./db/client";
import { getConfig } from "./platform/config";
import { createLogger } from "./platform/log";

/**
 * The daily Cron Trigger (wrangler.toml [triggers]): each sweep in turn, each logged, one failing
 * not stopping the next. Today: the admin tables (audit trail retention, old counters, ended range
 * blocks' index rows).
 */
const SWEEPS: { name: string; run: (env: Env, now: number) => Promise<Record<string, number>> }[] = [
  { name: "admin_tables", run: (env, now) => pruneAdminTables(createDb(env.DB), now, getConfig(env).AUDIT_RETENTION_DAYS) },
];

export async function runDailySweeps(env: Env, now = Date.now()): Promise<void> {
  const log = createLogger();
  for (const sweep of SWEEPS) {
    try {
      log.event("sweep.done", { sweep: sweep.name, ...(await sweep.run(env, now)) });
    } catch (error) {
      log.error("sweep.failed", error, { sweep: sweep.name });
    }
  }
}
