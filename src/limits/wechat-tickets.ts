import type { Decision } from "./decision";

/**
 * Single use of WeChat tickets (the `phone_required` answer's wechatTicket), as pure decisions of
 * (stored state, now, the request) in the shape of src/limits/decision.ts: the Durable Object
 * (wechat-ticket-guard.ts) loads the state, decides and saves, with no await in between.
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

/** The longest a ticket can live (WECHAT_TICKET_TTL_SECONDS at most): the cleanup alarm's period. */
export const TICKET_MAX_LIFE_MS = 1800_000;

function live(tickets: Tickets | undefined, now: number): Tickets {
  return Object.fromEntries(Object.entries(tickets ?? {}).filter(([, entry]) => entry.expiresAt > now));
}

export function issue(tickets: Tickets | undefined, jti: string, entry: TicketEntry, now: number): Decision<void, Tickets> {
  const kept = Object.entries(live(tickets, now))
    .sort(([, a], [, b]) => a.expiresAt - b.expiresAt)
    .slice(-(MAX_LIVE_TICKETS - 1));
  return { result: undefined, state: { ...Object.fromEntries(kept), [jti]: entry } };
}

export type SpendResult = { ok: true; entry: TicketEntry } | { ok: false };

/** Nothing is written for a refusal (an unknown, spent or expired id). */
export function spend(tickets: Tickets | undefined, jti: string, now: number): Decision<SpendResult, Tickets> {
  const current = live(tickets, now);
  const entry = current[jti];
  if (!entry) return { result: { ok: false }, state: undefined };
  const { [jti]: _spent, ...rest } = current;
  return { result: { ok: true, entry }, state: rest };
}

/** Puts a spent ticket back after a failure that was not the user's (WeChat or D1 unavailable), if it has not expired. */
export function restore(tickets: Tickets | undefined, jti: string, entry: TicketEntry, now: number): Decision<void, Tickets> {
  if (entry.expiresAt <= now) return { result: undefined, state: undefined };
  return { result: undefined, state: { ...live(tickets, now), [jti]: entry } };
}

/** The live tickets, or undefined when none are left (the object can then be dropped). */
export function sweep(tickets: Tickets | undefined, now: number): Tickets | undefined {
  const left = live(tickets, now);
  return Object.keys(left).length === 0 ? undefined : left;
}
