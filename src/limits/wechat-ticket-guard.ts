import { DurableObject } from "cloudflare:workers";
import { CleanupAlarm } from "./cleanup-alarm";
import type { Decision } from "./decision";
import type { SpendResult, TicketEntry, Tickets } from "./wechat-tickets";
import * as tickets from "./wechat-tickets";

/**
 * The live WeChat tickets of one WeChat identity (one object per identity, named by a keyed hash of
 * it: src/wechat/ticket.ts). Every method loads, decides (wechat-tickets.ts) and saves with no
 * await in between, and one object runs one call at a time: parallel uses of one ticket have one
 * winner.
 */
const KEY = "tickets";

export class WechatTicketGuard extends DurableObject<Record<string, unknown>> {
  private readonly cleanup = new CleanupAlarm(this.ctx.storage, tickets.TICKET_MAX_LIFE_MS);

  issue(jti: string, entry: TicketEntry): void {
    this.save(tickets.issue(this.load(), jti, entry, Date.now()));
  }

  spend(jti: string): SpendResult {
    return this.save(tickets.spend(this.load(), jti, Date.now()));
  }

  restore(jti: string, entry: TicketEntry): void {
    this.save(tickets.restore(this.load(), jti, entry, Date.now()));
  }

  override async alarm(): Promise<void> {
    await this.cleanup.run((now) => {
      const left = tickets.sweep(this.load(), now);
      if (left) this.ctx.storage.kv.put(KEY, left);
      return left !== undefined;
    });
  }

  private load(): Tickets | undefined {
    return this.ctx.storage.kv.get<Tickets>(KEY);
  }

  private save<R>(decided: Decision<R, Tickets>): R {
    if (decided.state) {
      this.ctx.storage.kv.put(KEY, decided.state);
      this.cleanup.ensure();
    }
    return decided.result;
  }
}
