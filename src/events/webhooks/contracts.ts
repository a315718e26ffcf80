/**
 * What each webhook says: one zod schema per event type for its `data`, and the mapping from a
 * domain event to it. The OpenAPI document's `webhooks` section is generated from these schemas
 * (src/routes/docs.ts), and the mapping is typed against them, so the document cannot drift from
 * what is sent. The phone goes out whole (E.164): the receiver is the operator's own system. No
 * payload ever carries a code, password or token.
 */
import * as z from "zod/mini";
import { PURPOSES } from "../../codes/purpose";
import type { DomainEvent } from "../types";

const userId = z.string().register(z.globalRegistry, { description: "The user's id" });
const phone = z.string().register(z.globalRegistry, { description: "E.164, e.g. +8613800138000", example: "+8613800138000" });
const method = z
  .enum(["sms", "password", "registration", "wechat", "one_tap"])
  .register(z.globalRegistry, { description: "How the user signed in or was created" });

const DATA = {
  "user.created": z.object({ userId, phone, method }),
  "user.signed_in": z.object({ userId, phone: z.nullable(phone), method, isNewUser: z.boolean() }),
  "session.ended": z.object({
    userId,
    sessionId: z
      .optional(z.string())
      .register(z.globalRegistry, { description: "The session that ended (the access tokens' `sid`); absent when several ended at once" }),
    reason: z.enum([
      "logout",
      "password_reset",
      "password_changed",
      "phone_changed",
      "logout_all",
      "revoked",
      "banned",
      "reuse_detected",
      "session_limit",
      "admin",
    ]),
  }),
  "session.reuse_detected": z.object({
    userId,
    sessionId: z.string().register(z.globalRegistry, { description: "The session that was ended (the access tokens' `sid`)" }),
  }),
  "user.phone_changed": z.object({ userId, from: z.nullable(phone), to: phone }),
  "user.password_changed": z.object({ userId, phone: z.nullable(phone), reason: z.enum(["reset", "set", "changed"]) }),
  "user.banned": z.object({ userId, reason: z.string().register(z.globalRegistry, { description: "The operator's reason, as given to the admin API" }) }),
  "user.unbanned": z.object({ userId }),
  "phone.locked": z.object({ phone, reason: z.enum(["guesses", "password"]) }),
  "prefix.blocked": z.object({ range: z.string().register(z.globalRegistry, { description: "The blocked number range (a phone's first digits)" }) }),
  "budget.exhausted": z.object({ budget: z.number().check(z.int()).register(z.globalRegistry, { description: "The daily SMS budget that was spent" }) }),
  "sms.failed": z.object({
    phone,
    purpose: z.enum(PURPOSES),
    provider: z.string(),
    providerCode: z.string().register(z.globalRegistry, { description: "The provider's own error code, e.g. isv.AMOUNT_NOT_ENOUGH" }),
    kind: z.string().register(z.globalRegistry, { description: "invalid_number, retryable, rejected or throttled" }),
  }),
} as const;

const SUMMARIES: Record<WebhookType, string> = {
  "user.created": "A user was created (first SMS sign-in or registration)",
  "user.signed_in": "A user signed in",
  "session.ended": "A session ended (logout, reset, phone change, revocation…)",
  "session.reuse_detected": "A refresh token was used twice: the session family was revoked",
  "user.phone_changed": "A user changed phone number",
  "user.password_changed": "A user's password was set, changed or reset",
  "user.banned": "A user was banned",
  "user.unbanned": "A user was unbanned",
  "phone.locked": "A phone was locked after too many wrong codes or passwords",
  "prefix.blocked": "A number range was blocked for SMS fraud",
  "budget.exhausted": "Today's SMS budget is spent",
  "sms.failed": "An SMS provider failed to send a code",
};

export type WebhookType = keyof typeof DATA;
export const WEBHOOK_TYPES = Object.keys(DATA) as WebhookType[];
type Data<T extends WebhookType> = z.output<(typeof DATA)[T]>;
export type WebhookEvent = { [T in WebhookType]: { type: T; data: Data<T> } }[WebhookType];

/** The body of every webhook: the Standard Webhooks shape {type, timestamp, data}. */
export function webhookBodySchema<T extends WebhookType>(type: T) {
  return z.object({
    type: z.literal(type),
    timestamp: z.iso.datetime().register(z.globalRegistry, { description: "When the event happened (ISO 8601, UTC)" }),
    data: DATA[type],
  });
}

export interface WebhookContract {
  name: WebhookType;
  summary: string;
  body: z.core.$ZodType;
}

export const WEBHOOK_CONTRACTS: WebhookContract[] = WEBHOOK_TYPES.map((name) => ({ name, summary: SUMMARIES[name], body: webhookBodySchema(name) }));

/** The webhook a domain event becomes, or undefined for events that are not sent (code.sent …). */
export function webhookOf(event: DomainEvent): WebhookEvent | undefined {
  switch (event.type) {
    case "user.created":
      return { type: event.type, data: { userId: event.userId, phone: event.phone.e164, method: event.method } };
    case "user.signed_in":
      return {
        type: event.type,
        data: { userId: event.userId, phone: event.phone?.e164 ?? null, method: event.method, isNewUser: event.isNewUser },
      };
    case "session.ended":
      return {
        type: event.type,
        data: { userId: event.userId, reason: event.reason, ...(event.sessionId === undefined ? {} : { sessionId: event.sessionId }) },
      };
    case "session.reuse_detected":
      return { type: event.type, data: { userId: event.userId, sessionId: event.sessionId } };
    case "user.banned":
      return { type: event.type, data: { userId: event.userId, reason: event.reason } };
    case "user.unbanned":
      return { type: event.type, data: { userId: event.userId } };
    case "user.phone_changed":
      return { type: event.type, data: { userId: event.userId, from: event.from, to: event.to.e164 } };
    case "user.password_changed":
      return { type: event.type, data: { userId: event.userId, phone: event.phone?.e164 ?? null, reason: event.reason } };
    case "phone.locked":
      return { type: event.type, data: { phone: event.phone.e164, reason: event.reason } };
    case "prefix.blocked":
      return { type: event.type, data: { range: event.range } };
    case "budget.exhausted":
      return { type: event.type, data: { budget: event.budget } };
    case "sms.failed":
      return {
        type: event.type,
        data: { phone: event.phone.e164, purpose: event.purpose, provider: event.provider, providerCode: event.providerCode, kind: event.kind },
      };
    default:
      return undefined;
  }
}
