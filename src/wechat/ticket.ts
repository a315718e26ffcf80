import { ApiError } from "../http/errors/api-error";
import type { TicketEntry } from "../limits/wechat-tickets";
import { fromBase64Url, hmac, randomBytes, timingSafeEqual, toBase64Url, toHex, utf8 } from "../platform/crypto";
import type { RequestScope } from "../platform/scope";
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
  const body = toBase64Url(utf8(JSON.stringify(payload)));
  const mac = toBase64Url(await hmac(AUTH_SECRET, `wt|${body}`));
  return { wechatTicket: `wt1.${body}.${mac}`, expiresIn: WECHAT_TICKET_TTL_SECONDS };
}

async function readTicket(secret: string, ticket: string, now: number): Promise<Payload | undefined> {
  const parts = ticket.split(".");
  const [version, body, mac] = parts;
  if (parts.length !== 3 || version !== "wt1" || !body || !mac) return undefined;
  const given = fromBase64Url(mac);
  if (!given || !timingSafeEqual(given, await hmac(secret, `wt|${body}`))) return undefined;
  const raw = fromBase64Url(body);
  if (!raw) return undefined;
  let payload: Partial<Payload>;
  try {
    payload = JSON.parse(new TextDecoder().decode(raw)) as Partial<Payload>;
  } catch {
    return undefined;
  }
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
