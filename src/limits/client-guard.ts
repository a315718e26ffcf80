import { DurableObject } from "cloudflare:workers";
import { add, type Buckets, msUntilBelow, prune, total } from "./window";

/**
 * Per-client-address limits (one object per IPv4 address or IPv6 /64, src/limits/client-key.ts):
 * how many codes an address asks for and how many codes it tries, over a sliding hour. A Durable
 * Object and not KV for the same reason as PhoneGuard: the counts must be exact under concurrency.
 */

export type HitResult = { ok: true } | { ok: false; retryAfterMs: number };

type Kind = "send" | "verify";
const WINDOW = 3600_000;

export class ClientGuard extends DurableObject<Record<string, unknown>> {
  private alarmSet = false;

  /**
   * Counts one request of `kind` if it is under `limit`. A refused request is not counted: the
   * address is held at the limit, and its wait ends when the oldest counted requests age out.
   */
  hit(kind: Kind, limit: number): HitResult {
    const now = Date.now();
    const buckets = prune(this.ctx.storage.kv.get<Buckets>(kind) ?? {}, now, WINDOW);
    if (total(buckets) >= limit) {
      return { ok: false, retryAfterMs: msUntilBelow(buckets, now, WINDOW, limit) };
    }
    add(buckets, now);
    this.ctx.storage.kv.put(kind, buckets);
    this.scheduleCleanup();
    return { ok: true };
  }

  override async alarm(): Promise<void> {
    // Prunes what left the window; re-arms while anything is left, else drops the whole object.
    this.alarmSet = false;
    const now = Date.now();
    let anything = false;
    for (const kind of ["send", "verify"] as const) {
      const buckets = prune(this.ctx.storage.kv.get<Buckets>(kind) ?? {}, now, WINDOW);
      if (total(buckets) === 0) this.ctx.storage.kv.delete(kind);
      else {
        this.ctx.storage.kv.put(kind, buckets);
        anything = true;
      }
    }
    if (anything) await this.ctx.storage.setAlarm(now + WINDOW);
    else await this.ctx.storage.deleteAll();
  }

  private scheduleCleanup(): void {
    if (this.alarmSet) return;
    this.alarmSet = true;
    // Not awaited: hit() must stay free of awaits to stay atomic. A failure leaves the flag down to retry.
    this.ctx.storage
      .getAlarm()
      .then((at) => (at === null ? this.ctx.storage.setAlarm(Date.now() + WINDOW) : undefined))
      .catch(() => {
        this.alarmSet = false;
      });
  }
}
