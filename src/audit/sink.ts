import type { DomainEvent } from "../events/types";
import type { RequestScope } from "../platform/scope";
import { TrailWriter } from "./trail-writer";

const writers = new WeakMap<D1Database, TrailWriter>();

function writerOf(d1: D1Database): TrailWriter {
  let writer = writers.get(d1);
  if (!writer) {
    writer = new TrailWriter(d1);
    writers.set(d1, writer);
  }
  return writer;
}

/**
 * The audit trail and the /stats counters, as one event sink. Its work runs after the answer
 * (waitUntil, src/events/publish.ts), so a sign-in is never slowed or failed by it, and many
 * requests' events share one D1 write (src/audit/trail-writer.ts). Outside a request (the Cron
 * Trigger) there is no answer to wait for: the write is scheduled at once. A write that fails twice
 * loses those entries and is logged (background.failed): the trail is for operators, not a ledger
 * the API depends on.
 */
export function auditSink(scope: RequestScope, event: DomainEvent): Promise<void> | undefined {
  const pending = {
    event,
    at: Date.now(),
    secret: scope.config.AUTH_SECRET,
    clientIp: scope.clientIp,
    blockSeconds: scope.config.PREFIX_BLOCK_SECONDS,
  };
  return writerOf(scope.env.DB).add(pending, scope.answered);
}
