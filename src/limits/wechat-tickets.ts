/**
 * Single use of WeChat tickets (the `phone_required` answer's wechatTicket), as pure functions of
 * (state, now): the Durable Object (wechat-ticket-guard.ts) loads the state, calls one of these and
 * saves what it returns, with no await in between.
 *
 * A ticket's id is registered when the ticket is issued, together with the WeChat identity it
 * stands for, and removed when it is spent: exactly one caller gets the identity back, and a copy
 * of a spent ticket finds nothing. The identity lives here, not in the ticket, so the client never
 * sees the openid or unionid.
 */
export interface TicketEntry {
  openid: string;
  unionid?: string;
  expiresAt: number;
}

export type Tickets = Record<string, TicketEntry>;

/** At most this many live tickets per WeChat identity: a client asking again and again only replaces its oldest. */
export const MAX_LIVE_TICKETS = 5;

export function prune(tickets: Tickets, now: number): Tickets {
  return Object.fromEntries(Object.entries(tickets).filter(([, entry]) => entry.expiresAt > now));
}

export function issueTicket(tickets: Tickets, jti: string, entry: TicketEntry, now: number): Tickets {
  const live = Object.entries(prune(tickets, now)).sort(([, a], [, b]) => a.expiresAt - b.expiresAt);
  const kept = live.slice(Math.max(0, live.length - (MAX_LIVE_TICKETS - 1)));
  return { ...Object.fromEntries(kept), [jti]: entry };
}

export type SpendResult = { ok: true; entry: TicketEntry; tickets: Tickets } | { ok: false; tickets: Tickets };

export function spendTicket(tickets: Tickets, jti: string, now: number): SpendResult {
  const live = prune(tickets, now);
  const entry = live[jti];
  if (!entry) return { ok: false, tickets: live };
  const { [jti]: _spent, ...rest } = live;
  return { ok: true, entry, tickets: rest };
}

/** Puts a spent ticket back after a failure that was not the user's (WeChat or D1 unavailable), if it has not expired. */
export function restoreTicket(tickets: Tickets, jti: string, entry: TicketEntry, now: number): Tickets {
  const live = prune(tickets, now);
  return entry.expiresAt > now ? { ...live, [jti]: entry } : live;
}

/** When the object should next look at its tickets (the earliest expiry), or undefined when none are left. */
export function nextExpiry(tickets: Tickets): number | undefined {
  const times = Object.values(tickets).map((entry) => entry.expiresAt);
  return times.length === 0 ? undefined : Math.min(...times);
}
