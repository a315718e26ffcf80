import { ApiError } from "../http/errors/api-error";
import type { TicketEntry } from "../limits/wechat-tickets";
import { hmac, randomBytes, toBase64Url, toHex } from "../platform/crypto";
import type { RequestScope } from "../platform/scope";
import { openPayload, signPayload } from "../platform/signed-payload";
import type { WechatIdentity } from "./api";
import { wechatIdentifier } from "./identity";

/**
 * The wechatTicket of a `phone_required` answer: `wt1.<payload>.<mac>`, the payload naming a keyed
 * hash of the WeChat identity, a random id and the expiry; the HMAC (AUTH_SECRET) makes it
 * unforgeable. Single use and the identity itself are kept in the identity's Durable Object
 * (src/limits/wechat-ticket-guard.ts): the ticket is worthless once spent, and the client never
 * sees the openid or unionid.
 */
interface Payload {
  h: string;
  j: string;
  x: number;
}

async function identityHash(secret: string, identity: WechatIdentity): Promise<string> {
  return toHex(await hmac(secret, `wxid|${wechatIdentifier(identity)}`)).slice(0, 32);
}

function guard(scope: RequestScope, hash: string) {
  return scope.env.WECHAT_TICKET_GUARD.get(scope.env.WECHAT_TICKET_GUARD.idFromName(hash));
}

/** Issues a ticket for `identity`: registered in its Durable Object, then signed. */
export async function issueWechatTicket(scope: RequestScope, identity: WechatIdentity): Promise<{ wechatTicket: string; expiresIn: number }> {
  const { AUTH_SECRET, WECHAT_TICKET_TTL_SECONDS } = scope.config;
  const payload: Payload = { h: await identityHash(AUTH_SECRET, identity), j: toBase64Url(randomBytes(16)), x: Date.now() + WECHAT_TICKET_TTL_SECONDS * 1000 };
  await guard(scope, payload.h).issue(payload.j, { ...identity, expiresAt: payload.x });
  return { wechatTicket: await signPayload(AUTH_SECRET, "wt1", "wt", payload), expiresIn: WECHAT_TICKET_TTL_SECONDS };
}

async function readTicket(secret: string, ticket: string, now: number): Promise<Payload | undefined> {
  const payload = (await openPayload(secret, "wt1", "wt", ticket)) as Partial<Payload> | undefined;
  if (!payload) return undefined;
  if (typeof payload.h !== "string" || typeof payload.j !== "string" || typeof payload.x !== "number" || payload.x <= now) return undefined;
  return { h: payload.h, j: payload.j, x: payload.x };
}

/** A spent ticket: the identity it stood for, and the way to give it back after a failure that was not the user's. */
export interface SpentTicket {
  identity: WechatIdentity;
  giveBack(): Promise<void>;
}

/** Spends a ticket: 401 wechat_ticket_invalid unless it is authentic, unexpired and unused. Exactly one caller gets past. */
export async function spendWechatTicket(scope: RequestScope, ticket: string): Promise<SpentTicket> {
  const payload = await readTicket(scope.config.AUTH_SECRET, ticket, Date.now());
  if (!payload) throw new ApiError("wechat_ticket_invalid");
  const stub = guard(scope, payload.h);
  const spent = await stub.spend(payload.j);
  if (!spent.ok) throw new ApiError("wechat_ticket_invalid");
  const entry: TicketEntry = spent.entry;
  const identity: WechatIdentity = entry.unionid ? { openid: entry.openid, unionid: entry.unionid } : { openid: entry.openid };
  return { identity, giveBack: () => stub.restore(payload.j, entry) };
}
