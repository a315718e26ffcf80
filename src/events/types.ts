import type { Purpose } from "../codes/purpose";
import type { Phone } from "../phone/phone";

/**
 * What happened, as the domain says it: one vocabulary for everything that listens (the audit
 * trail, webhooks). Events carry the parsed phone; each sink decides how much of it to keep (a
 * webhook receiver is the operator's own system and may get it whole, the audit trail keeps a
 * keyed hash and a mask, logs a mask). No event ever carries a code, password or token.
 */
export type SignInMethod = "sms" | "password" | "registration" | "wechat" | "one_tap";

export type DomainEvent =
  | { type: "code.sent"; phone: Phone; purpose: Purpose; provider: string }
  | { type: "sms.failed"; phone: Phone; purpose: Purpose; provider: string; providerCode: string; kind: string }
  /** `provider`: the one that carried the code (absent for test numbers), so conversion is per provider. */
  | { type: "code.verified"; phone: Phone; purpose: Purpose; provider?: string }
  | { type: "user.created"; userId: string; phone: Phone; method: SignInMethod }
  | { type: "user.signed_in"; userId: string; phone: Phone | null; method: SignInMethod; isNewUser: boolean }
  | { type: "sign_in.failed"; phone: Phone; method: SignInMethod; reason: string }
  | {
      type: "session.ended";
      userId: string;
      /** The session that ended; absent when every session of the user (or every other one) ended. */
      sessionId?: string;
      reason:
        | "logout"
        | "password_reset"
        | "password_changed"
        | "phone_changed"
        | "logout_all"
        | "revoked"
        | "banned"
        | "reuse_detected"
        | "session_limit"
        | "admin";
    }
  | { type: "session.reuse_detected"; userId: string; sessionId: string }
  | { type: "user.phone_changed"; userId: string; from: string | null; to: Phone }
  | { type: "user.password_changed"; userId: string; phone: Phone | null; reason: "reset" | "set" | "changed" }
  | { type: "identity.linked"; userId: string; provider: "wechat" }
  | { type: "identity.unlinked"; userId: string; provider: "wechat" }
  | { type: "phone.locked"; phone: Phone; reason: "guesses" | "password" }
  | { type: "prefix.blocked"; range: string }
  | { type: "budget.exhausted"; budget: number }
  // An operator's actions (src/admin/): `actor` is "key:<first 8 hex digits of the key's hash>" or the Access email.
  | { type: "user.banned"; userId: string; reason: string; actor: string }
  | { type: "user.unbanned"; userId: string; actor: string }
  | { type: "admin.sessions_ended"; userId: string; actor: string; count: number }
  | { type: "admin.phone_unlocked"; phone: Phone; actor: string }
  | { type: "admin.range_unblocked"; range: string; actor: string }
  /** A request to the admin API refused for its credential (401): `reason` says which check failed. */
  | { type: "admin.denied"; reason: string };

export type EventType = DomainEvent["type"];
