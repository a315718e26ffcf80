import { DurableObject } from "cloudflare:workers";
import { issueTicket, nextExpiry, prune, restoreTicket, spendTicket, type TicketEntry, type Tickets } from "./wechat-tickets";

/**
 * The live WeChat tickets of one WeChat identity (one object per identity, named by a keyed hash of
 * it: src/wechat/ticket.ts). Every method is load → decide (wechat-tickets.ts) → save with no await
 * in between, and one object runs one call at a time: parallel uses of one ticket have one winner.
 */
const KEY = "tickets";

export class WechatTicketGuard extends DurableObject<Record<string, unknown>> {
  issue(jti: string, entry: TicketEntry): void {
    const tickets = issueTicket(this.load(), jti, entry, Date.now());
    this.save(tickets);
  }

  spend(jti: string): { ok: true; entry: TicketEntry } | { ok: false } {
    const result = spendTicket(this.load(), jti, Date.now());
    this.save(result.tickets);
    return result.ok ? { ok: true, entry: result.entry } : { ok: false };
  }

  restore(jti: string, entry: TicketEntry): void {
    this.save(restoreTicket(this.load(), jti, entry, Date.now()));
  }

  override async alarm(): Promise<void> {
    const tickets = prune(this.load(), Date.now());
    const next = nextExpiry(tickets);
    if (next === undefined) await this.ctx.storage.deleteAll();
    else {
      this.ctx.storage.kv.put(KEY, tickets);
      await this.ctx.storage.setAlarm(next);
    }
  }

  private load(): Tickets {
    return this.ctx.storage.kv.get<Tickets>(KEY) ?? {};
  }

  private save(tickets: Tickets): void {
    this.ctx.storage.kv.put(KEY, tickets);
    const next = nextExpiry(tickets);
    // Not awaited: the callers must stay free of awaits to stay atomic. The alarm only cleans up;
    // expired tickets are refused by the decisions whether or not it has run.
    if (next !== undefined) this.ctx.storage.setAlarm(next).catch(() => {});
  }
}
