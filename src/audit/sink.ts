import { createDb, type Db } from "../db/client";
import { auditEvents } from "../db/schema";
import type { DomainEvent } from "../events/types";
import { maskPhone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { auditEntryOf } from "./entry";
import { clientHash, phoneHash } from "./keys";
import { statsWritesOf } from "./stats-writes";

const databases = new WeakMap<D1Database, Db>();
function dbOf(env: Env): Db {
  let db = databases.get(env.DB);
  if (!db) {
    db = createDb(env.DB);
    databases.set(env.DB, db);
  }
  return db;
}

async function write(scope: RequestScope, event: DomainEvent): Promise<void> {
  const db = dbOf(scope.env);
  const now = Date.now();
  const entry = auditEntryOf(event);
  const statements = statsWritesOf(db, event, now, scope.config.PREFIX_BLOCK_SECONDS);
  if (!entry && statements.length === 0) return;
  const secret = scope.config.AUTH_SECRET;
  const [phone, client] = await Promise.all([entry?.phone ? phoneHash(secret, entry.phone.e164) : undefined, clientHash(secret, scope.clientIp)]);
  const row = entry && {
    at: now,
    type: entry.type,
    actor: entry.actor ?? null,
    userId: entry.userId ?? null,
    phoneHash: phone ?? null,
    phoneMask: entry.phone ? maskPhone(entry.phone) : null,
    // Events raised by the Cron Trigger have no client.
    client: scope.clientIp === undefined ? null : client,
    detail: entry.detail ? JSON.stringify(entry.detail) : null,
  };
  const all = [...(row ? [db.insert(auditEvents).values(row)] : []), ...statements];
  const [first, ...rest] = all;
  if (first) await db.batch([first, ...rest]);
}

/**
 * The audit trail and the /stats counters, as one event sink: its work runs after the answer
 * (waitUntil, src/events/publish.ts), so a sign-in is never slowed or failed by it. A D1 failure
 * loses that one entry and is logged (event.sink_failed / background.failed), never retried
 * inline: the trail is for operators, not a ledger the API depends on.
 */
export const auditSink = (scope: RequestScope, event: DomainEvent): Promise<void> => write(scope, event);
