import type { DomainEvent } from "../events/types";
import { maskPhone } from "../phone/phone";
import { Tally } from "./counters";
import { auditEntryOf } from "./entry";
import { clientHash, phoneHash } from "./keys";
import { type TrailRow, writeTrail } from "./statements";

/** One published event waiting to be written, with what writing it needs from its request. */
export interface PendingEvent {
  event: DomainEvent;
  at: number;
  secret: string;
  clientIp: string | undefined;
  blockSeconds: number;
}

/**
 * At most one write of the trail per this many milliseconds per isolate: the events of every
 * request answered meanwhile go in the same write. 100 ms keeps the trail a tenth of a second
 * behind at most, and an isolate's trail to ≤ 10 D1 writes a second however busy it is (D1 has
 * a single writer per database; docs/scaling.md).
 */
export const WRITE_GAP_MS = 100;
/** A write's size cap (a JSON parameter of ~100 KB); more waiting events go in the writes after it. */
export const MAX_EVENTS_PER_WRITE = 400;
const RETRY_AFTER_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Audit rows (phones and addresses keyed-hashed, one hash per distinct value) and summed counters. */
async function rowsOf(pending: readonly PendingEvent[]): Promise<{ rows: TrailRow[]; tally: Tally }> {
  const hashes = new Map<string, Promise<string>>();
  const once = (key: string, make: () => Promise<string>) => hashes.get(key) ?? hashes.set(key, make()).get(key)!;
  const rows: TrailRow[] = [];
  const tally = new Tally();
  for (const { event, at, secret, clientIp, blockSeconds } of pending) {
    tally.add(event, at, blockSeconds);
    const entry = auditEntryOf(event);
    if (!entry) continue;
    rows.push({
      at,
      type: entry.type,
      actor: entry.actor ?? null,
      userId: entry.userId ?? null,
      phoneHash: entry.phone ? await once(`p|${secret}|${entry.phone.e164}`, () => phoneHash(secret, entry.phone!.e164)) : null,
      phoneMask: entry.phone ? maskPhone(entry.phone) : null,
      // Events raised by the Cron Trigger have no client.
      client: clientIp === undefined ? null : await once(`c|${secret}|${clientIp}`, () => clientHash(secret, clientIp)),
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
    });
  }
  return { rows, tally };
}

/**
 * Group commit for the audit trail and its counters, one per D1 binding per isolate. The first
 * event after a write schedules the next one: once its request has answered, and no sooner than
 * WRITE_GAP_MS after the previous write began. Events published meanwhile, by any request of the
 * isolate, join it. A quiet isolate so writes each request's events right after its answer, as
 * before; a busy one writes many requests' events in one D1 batch of at most four statements.
 *
 * The scheduling request holds the write in its waitUntil, so the runtime keeps the isolate until
 * it is done; the other requests' events are plain data in this object and need nothing of theirs.
 */
export class TrailWriter {
  private waiting: PendingEvent[] = [];
  private scheduled = false;
  private lastWriteAt = 0;

  constructor(private readonly d1: D1Database) {}

  /** Queues an event; answers the write to hold in waitUntil when this call scheduled it, else undefined. */
  add(pending: PendingEvent, answered: Promise<void> | undefined): Promise<void> | undefined {
    this.waiting.push(pending);
    if (this.scheduled) return undefined;
    this.scheduled = true;
    return this.writeLater(answered);
  }

  private async writeLater(answered: Promise<void> | undefined): Promise<void> {
    try {
      if (answered) await answered;
      // Clamped: a clock moved by a test, or a write that began "in the future", never stalls the trail.
      const gap = Math.min(WRITE_GAP_MS, Math.max(0, this.lastWriteAt + WRITE_GAP_MS - Date.now()));
      if (gap > 0) await sleep(gap);
    } finally {
      // From here on a new event schedules the next write.
      this.scheduled = false;
    }
    const taken = this.waiting;
    this.waiting = [];
    this.lastWriteAt = Date.now();
    for (let start = 0; start < taken.length; start += MAX_EVENTS_PER_WRITE) {
      await this.write(taken.slice(start, start + MAX_EVENTS_PER_WRITE));
    }
  }

  /** One write, retried once: a D1 hiccup should not cost operators the entries of many requests. */
  private async write(pending: PendingEvent[]): Promise<void> {
    const { rows, tally } = await rowsOf(pending);
    try {
      await writeTrail(this.d1, rows, tally);
    } catch {
      await sleep(RETRY_AFTER_MS);
      try {
        await writeTrail(this.d1, rows, tally);
      } catch (error) {
        throw new Error(`audit trail: ${pending.length} events not written`, { cause: error });
      }
    }
  }
}
