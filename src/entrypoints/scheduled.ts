import { pruneAdminTables } from "../audit/retention";
import { deleteOldSpentTokens } from "../auth/refresh";
import { deleteExpiredSessions } from "../auth/sessions";
import { createDb } from "../db/client";
import { getConfig } from "../platform/config";
import { createLogger } from "../platform/log";

/**
 * The daily Cron Trigger (wrangler.toml [triggers]): each sweep in turn, each logged, one failing
 * not stopping the next. A feature with rows of its own to expire adds one line here.
 */
export const SWEEPS: { name: string; run: (env: Env, now: number) => Promise<Record<string, number>> }[] = [
  { name: "admin_tables", run: (env, now) => pruneAdminTables(createDb(env.DB), now, getConfig(env).AUDIT_RETENTION_DAYS) },
  // Sessions past their sliding expiry or their absolute lifetime (their spent refresh hashes go with them).
  { name: "sessions", run: async (env, now) => ({ sessions: await deleteExpiredSessions(createDb(env.DB), now) }) },
  // A spent refresh token older than a session's sliding lifetime would have expired unused anyway.
  {
    name: "spent_refresh_tokens",
    run: async (env, now) => ({ spentRefreshTokens: await deleteOldSpentTokens(createDb(env.DB), now - getConfig(env).SESSION_TTL_SECONDS * 1000) }),
  },
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
