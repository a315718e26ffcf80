import type { ClientGuard, LeaseResult } from "./client-guard";
import { noteRecent } from "./window";

/**
 * What one isolate holds of one busy address's hour (one layer, one kind): the same idea as the
 * SMS budget's leases (budget-pool.ts), for an address that sends many requests, such as a
 * carrier-grade NAT gateway or a backend calling from one address with its limit raised.
 *
 * A quiet address (the default limits, any single user) is asked about exactly as before: one
 * ClientGuard.hit per request. Once this isolate has counted HOT_MIN_HITS requests of the address
 * within RATE_WINDOW_MS, it asks ClientGuard for a block (about one second of its own rate, at
 * most MAX_BLOCK, and never more than 1/16 of what is left of the hour: client.ts `lease`) and
 * takes from it with no call. Exact on the safe side: every request in a block is counted by
 * ClientGuard when the block is granted, before it is used, so the address never gets more than
 * its limit; a unit not used goes back (a request refused by another layer returns to the block,
 * the rest of a block goes back to ClientGuard after LEASE_TTL_MS), and units held by an isolate
 * that is evicted stay counted until they leave the hour: the address is refused a little early,
 * never late. A busy address that ClientGuard refuses is refused here for up to
 * REFUSAL_MEMORY_MS without a call, so hammering past the limit does not cost its object a call per
 * request either.
 */

export const HOT_MIN_HITS = 200;
export const RATE_WINDOW_MS = 10_000;
export const MAX_BLOCK = 32;
/** A block's unused units go back to ClientGuard at the address's first request after this long. */
export const LEASE_TTL_MS = 10_000;
/**
 * A busy address refused by ClientGuard is refused here, without a call, for up to this long (with
 * the wait ClientGuard gave): an address hammering past its limit costs its object about one call
 * a second per isolate instead of one per request. Refusing from memory can only refuse early
 * (a block given back elsewhere meanwhile), never let a request through.
 */
export const REFUSAL_MEMORY_MS = 1000;
/** Pools kept per isolate; beyond it the least recently used idle ones are dropped. */
const MAX_POOLS = 1024;

type Kind = "send" | "verify";
type Stub = Pick<DurableObjectStub<ClientGuard>, "hit" | "lease" | "release">;

/** One request counted for one layer, and where: so that giving it back goes to the same place. */
export type Counted = { ok: true; from: "call"; at: number } | { ok: true; from: "held"; at: number; lease: number } | { ok: false; retryAfterMs: number };

export class ClientPool {
  private units = 0;
  private leasedAt = 0;
  /** Which block `units` belong to: a unit of an earlier block is never put back into a later one. */
  private lease = 0;
  private readonly recent: number[] = [];
  private leasing: Promise<unknown> | undefined;
  /** While busy and refused: refuse without a call until `refusedUntil`, answering the wait until `retryAt`. */
  private refusedUntil = 0;
  private retryAt = 0;

  constructor(
    private readonly stub: () => Stub,
    private readonly kind: Kind,
    private readonly limit: number,
    private readonly hotMinHits = HOT_MIN_HITS,
  ) {}

  get idle(): boolean {
    return this.units === 0 && this.leasing === undefined;
  }

  /** Counts one request; `defer` runs the return of a stale block after the answer. */
  async take(defer: (work: Promise<unknown>) => void, now = Date.now()): Promise<Counted> {
    noteRecent(this.recent, now, RATE_WINDOW_MS);
    if (now < this.refusedUntil) return { ok: false, retryAfterMs: Math.max(0, this.retryAt - now) };
    for (;;) {
      this.returnStale(defer, now);
      if (this.units > 0) {
        this.units -= 1;
        return { ok: true, from: "held", at: this.leasedAt, lease: this.lease };
      }
      if (!this.leasing) break;
      await this.leasing.catch(() => {});
      // The block it waited for was refused: so is this request, without a call of its own.
      if (now < this.refusedUntil) return { ok: false, retryAfterMs: Math.max(0, this.retryAt - now) };
    }
    const want = this.wanted();
    if (want <= 1) {
      const hit = await this.stub().hit(this.kind, this.limit);
      return hit.ok ? { ok: true, from: "call", at: now } : this.refused(hit.retryAfterMs, now);
    }
    const call = this.stub().lease(this.kind, this.limit, want);
    this.leasing = call;
    let granted: LeaseResult;
    try {
      granted = await call;
    } finally {
      if (this.leasing === call) this.leasing = undefined;
    }
    if (!granted.ok) return this.refused(granted.retryAfterMs, now);
    if (granted.granted > 1) {
      this.lease += 1;
      this.units = granted.granted - 1;
      this.leasedAt = now;
    }
    return { ok: true, from: "call", at: now };
  }

  /** Gives back a request that was counted but refused by another layer. */
  giveBack(counted: Counted): Promise<void> | undefined {
    if (!counted.ok) return undefined;
    if (counted.from === "held" && counted.lease === this.lease) {
      this.units += 1;
      return undefined;
    }
    return this.stub().release(this.kind, counted.at);
  }

  /** A refusal from ClientGuard; remembered for a moment when the address is busy here. */
  private refused(retryAfterMs: number, now: number): Counted {
    if (this.recent.length >= this.hotMinHits) {
      this.retryAt = now + retryAfterMs;
      this.refusedUntil = now + Math.min(retryAfterMs, REFUSAL_MEMORY_MS);
    }
    return { ok: false, retryAfterMs };
  }

  /** 1 (a call per request) until the address is busy here, then about one second of its rate. */
  private wanted(): number {
    if (this.recent.length < this.hotMinHits) return 1;
    return Math.max(1, Math.min(MAX_BLOCK, Math.ceil((this.recent.length * 1000) / RATE_WINDOW_MS)));
  }

  private returnStale(defer: (work: Promise<unknown>) => void, now: number): void {
    if (this.units === 0 || now - this.leasedAt < LEASE_TTL_MS) return;
    defer(this.stub().release(this.kind, this.leasedAt, this.units));
    this.units = 0;
    // Units of this block given back later go to ClientGuard, not into a later block.
    this.lease += 1;
  }
}

const pools = new WeakMap<DurableObjectNamespace<ClientGuard>, Map<string, ClientPool>>();

/** This isolate's pool for one layer key, kind and limit (a test's env with another limit gets its own). */
export function clientPool(namespace: DurableObjectNamespace<ClientGuard>, key: string, kind: Kind, limit: number): ClientPool {
  let byKey = pools.get(namespace);
  if (!byKey) {
    byKey = new Map();
    pools.set(namespace, byKey);
  }
  const id = `${kind}|${limit}|${key}`;
  let pool = byKey.get(id);
  if (pool) {
    // Most recently used last: the eviction below drops from the front.
    byKey.delete(id);
  } else {
    // A fresh stub per call: a stub that saw an error may stay broken, the id is what is worth keeping.
    const objectId = namespace.idFromName(key);
    pool = new ClientPool(() => namespace.get(objectId), kind, limit);
  }
  byKey.set(id, pool);
  if (byKey.size > MAX_POOLS) {
    for (const [oldId, old] of byKey) {
      if (old.idle) {
        byKey.delete(oldId);
        break;
      }
    }
  }
  return pool;
}
