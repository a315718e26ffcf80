import type { DomainEvent } from "../events/types";
import type { Phone } from "../phone/phone";

/** What one audit row says, before the phone and client are hashed (src/audit/sink.ts). */
export interface AuditEntry {
  type: string;
  actor?: string;
  userId?: string;
  phone?: Phone;
  detail?: Record<string, string | number | boolean | null>;
}

/**
 * The audit trail's view of a domain event, or undefined for events it does not keep. Only
 * identifiers, outcomes and reasons: an event never carries a code, password or token, and the
 * detail objects below copy named fields, never a whole event.
 */
export function auditEntryOf(event: DomainEvent): AuditEntry | undefined {
  switch (event.type) {
    case "code.sent":
      return { type: "code.sent", phone: event.phone, detail: { purpose: event.purpose, provider: event.provider } };
    case "sms.failed":
      return {
        type: "code.failed",
        phone: event.phone,
        detail: { purpose: event.purpose, provider: event.provider, providerCode: event.providerCode, kind: event.kind },
      };
    case "code.verified":
      return { type: "code.verified", phone: event.phone, detail: { purpose: event.purpose, provider: event.provider ?? null } };
    case "user.created":
      return { type: "user.created", userId: event.userId, phone: event.phone, detail: { method: event.method } };
    case "user.signed_in":
      return {
        type: "sign_in",
        userId: event.userId,
        ...(event.phone ? { phone: event.phone } : {}),
        detail: { method: event.method, isNewUser: event.isNewUser },
      };
    case "sign_in.failed":
      return { type: "sign_in.failed", phone: event.phone, detail: { method: event.method, reason: event.reason } };
    case "session.ended":
      return { type: "session.ended", userId: event.userId, detail: { reason: event.reason } };
    case "user.phone_changed":
      return { type: "user.phone_changed", userId: event.userId, phone: event.to };
    case "user.password_changed":
      return { type: "user.password_changed", userId: event.userId, ...(event.phone ? { phone: event.phone } : {}), detail: { reason: event.reason } };
    case "phone.locked":
      return { type: "phone.locked", phone: event.phone, detail: { reason: event.reason } };
    case "prefix.blocked":
      return { type: "prefix.blocked", detail: { range: event.range } };
    case "budget.exhausted":
      return { type: "budget.exhausted", detail: { budget: event.budget } };
    case "user.banned":
      return { type: "user.banned", actor: event.actor, userId: event.userId, detail: { reason: event.reason } };
    case "user.unbanned":
      return { type: "user.unbanned", actor: event.actor, userId: event.userId };
    case "admin.sessions_ended":
      return { type: "admin.sessions_ended", actor: event.actor, userId: event.userId, detail: { count: event.count } };
    case "admin.phone_unlocked":
      return { type: "admin.phone_unlocked", actor: event.actor, phone: event.phone };
    case "admin.range_unblocked":
      return { type: "admin.range_unblocked", actor: event.actor, detail: { range: event.range } };
    case "admin.denied":
      return { type: "admin.denied", detail: { reason: event.reason } };
    default:
      // An event the trail does not keep (a type added later starts here until it is listed above).
      return undefined;
  }
}
