import { DurableObject } from "cloudflare:workers";
import { CleanupAlarm } from "./cleanup-alarm";
import type { HitResult, LeaseResult } from "./client";
import * as client from "./client";
import type { Decision } from "./decision";
import type { Buckets } from "./window";

export type { HitResult, LeaseResult } from "./client";

/**
 * Per-client-address limits (one object per IPv4 address, IPv6 /64, /56 and /48, src/limits/client-key.ts):
 * how many codes an address asks for and how many codes it tries, over a sliding hour. A Durable
 * Object and not KV for the same reason as PhoneGuard: the counts must be exact under concurrency.
 * The decision is pure (src/limits/client.ts); hit() loads the kind's buckets, decides and saves
 * with no await in between, so the storage calls commit atomically.
 *
 * Settings: the limit comes with every call, as the RPC has always taken it, because it depends on
 * the kind (IP_SENDS_PER_HOUR or IP_VERIFICATIONS_PER_HOUR) and the Worker already holds the
 * parsed config; this object never parses the environment. The window is a fixed hour.
 */

type Kind = "send" | "verify";

export class ClientGuard extends DurableObject<Record<string, unknown>> {
  private readonly cleanup = new CleanupAlarm(this.ctx.storage, client.CLIENT_WINDOW_MS);

  /**
   * Counts one request of `kind` if it is under `limit`. A refused request is not counted: the
   * address is held at the limit, and its wait ends when the oldest counted requests age out.
   */
  hit(kind: Kind, limit: number): HitResult {
    return this.count(kind, client.hit(this.ctx.storage.kv.get<Buckets>(kind), { limit }, Date.now()));
  }

  /**
   * Counts up to `want` requests of `kind` at once (a busy address's block, src/limits/client-pool.ts),
   * within `limit`; refuses like hit() when the hour is full.
   */
  lease(kind: Kind, limit: number, want: number): LeaseResult {
    return this.count(kind, client.lease(this.ctx.storage.kv.get<Buckets>(kind), { limit }, want, Date.now()));
  }

  /** Saves what a decision counted, if anything (the alarm then clears it once the hour is over), and answers it. */
  private count<R>(kind: Kind, decided: Decision<R, Buckets>): R {
    if (decided.state) {
      this.ctx.storage.kv.put(kind, decided.state);
      this.cleanup.ensure();
    }
    return decided.result;
  }

  /**
   * Gives back `amount` requests counted at `at`: one that another layer of the same client
   * refused, or the unused rest of a block.
   */
  release(kind: Kind, at: number, amount = 1): void {
    const decided = client.release(this.ctx.storage.kv.get<Buckets>(kind), Date.now(), at, amount);
    if (!decided.state) return;
    if (Object.keys(decided.state).length === 0) this.ctx.storage.kv.delete(kind);
    else this.ctx.storage.kv.put(kind, decided.state);
  }

  /** Prunes what left the window; re-arms while anything is left, else drops the whole object. */
  override async alarm(): Promise<void> {
    await this.cleanup.run((now) => {
      let anything = false;
      for (const kind of ["send", "verify"] as const) {
        const left = client.sweep(this.ctx.storage.kv.get<Buckets>(kind), now);
        if (left) {
          this.ctx.storage.kv.put(kind, left);
          anything = true;
        } else {
          this.ctx.storage.kv.delete(kind);
        }
      }
      return anything;
    });
  }
}
