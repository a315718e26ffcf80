import type { BatchItem } from "drizzle-orm/batch";
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

interface Published {
  event: DomainEvent;
  at: number;
}

/** Writes a request's events (audit rows and counter updates, in order) in one D1 batch. */
async function write(scope: RequestScope, published: Published[]): Promise<void> {
  const db = dbOf(scope.env);
  const secret = scope.config.AUTH_SECRET;
  // One keyed hash per distinct phone and one for the address, however many events share them.
  const phones = new Map<string, Promise<string>>();
  const phoneOf = (e164: string) => phones.get(e164) ?? phones.set(e164, phoneHash(secret, e164)).get(e164)!;
  const client = scope.clientIp === undefined ? null : await clientHash(secret, scope.clientIp);
  const all: BatchItem<"sqlite">[] = [];
  for (const { event, at } of published) {
    const entry = auditEntryOf(event);
    if (entry) {
      all.push(
        db.insert(auditEvents).values({
          at,
          type: entry.type,
          actor: entry.actor ?? null,
          userId: entry.userId ?? null,
          phoneHash: entry.phone ? await phoneOf(entry.phone.e164) : null,
          phoneMask: entry.phone ? maskPhone(entry.phone) : null,
          // Events raised by the Cron Trigger have no client.
          client,
          detail: entry.detail ? JSON.stringify(entry.detail) : null,
        }),
      );
    }
    all.push(...statsWritesOf(db, event, at, scope.config.PREFIX_BLOCK_SECONDS));
  }
  const [first, ...rest] = all;
  if (first) await db.batch([first, ...rest]);
}

/** The events of a request still to be written, by the request's `answered` promise. */
const pending = new WeakMap<Promise<void>, Published[]>();

/**
 * One D1 batch per request, not per event: a sign-in's code.verified, user.created and
 * user.signed_in (and their counters) go in one round trip once the answer is built. Outside a
 * request (the Cron Trigger) each event is written at once.
 */
function collect(scope: RequestScope, event: DomainEvent): Promise<void> | undefined {
  const published = { event, at: Date.now() };
  const answered = scope.answered;
  if (!answered) return write(scope, [published]);
  const waiting = pending.get(answered);
  if (waiting) {
    waiting.push(published);
    return undefined;
  }
  const events = [published];
  pending.set(answered, events);
  return answered.then(() => {
    // Events published from now on (work after the answer) start a batch of their own.
    pending.delete(answered);
    return write(scope, events);
  });
}

/**
 * The audit trail and the /stats counters, as one event sink: its work runs after the answer
 * (waitUntil, src/events/publish.ts), so a sign-in is never slowed or failed by it. A D1 failure
 * loses that request's entries and is logged (event.sink_failed / background.failed), never retried
 * inline: the trail is for operators, not a ledger the API depends on.
 */
export const auditSink = (scope: RequestScope, event: DomainEvent): Promise<void> | undefined => collect(scope, event);
