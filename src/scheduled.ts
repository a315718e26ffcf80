import { deleteOldSpentTokens } from "./auth/refresh";
import { deleteExpiredSessions } from "./auth/sessions";
import { createDb, type Db } from "./db/client";
import { type Config, getConfig } from "./platform/config";
import { createLogger } from "./platform/log";

/**
 * The daily Cron Trigger (wrangler.toml [triggers]): deletes what has expired. Each sweep is one
 * line below; a feature with rows of its own to expire adds its sweep here. A sweep that fails is
 * logged and the others still run.
 */
export interface Sweep {
  name: string;
  run(db: Db, config: Config, now: number): Promise<number>;
}

export const SWEEPS: Sweep[] = [
  { name: "sessions", run: (db, _config, now) => deleteExpiredSessions(db, now) },
  // A spent refresh token older than a session's sliding lifetime would have expired unused anyway.
  { name: "spent_refresh_tokens", run: (db, config, now) => deleteOldSpentTokens(db, now - config.SESSION_TTL_SECONDS * 1000) },
];

export async function sweep(env: Env, now = Date.now()): Promise<Record<string, number>> {
  const log = createLogger(crypto.randomUUID());
  const config = getConfig(env);
  const db = createDb(env.DB);
  const deleted: Record<string, number> = {};
  for (const item of SWEEPS) {
    try {
      deleted[item.name] = await item.run(db, config, now);
    } catch (error) {
      log.error("sweep.failed", error, { sweep: item.name });
    }
  }
  log.event("sweep.done", deleted);
  return deleted;
}
