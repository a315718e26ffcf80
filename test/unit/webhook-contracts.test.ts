import { describe, expect, it } from "vitest";
import type { DomainEvent } from "../../src/events/types";
import { WEBHOOK_TYPES, webhookBodySchema, webhookOf } from "../../src/events/webhooks/contracts";
import { mainland } from "../support/intercept";

/** One of every domain event, with the phone in full where it has one. */
const EVENTS: DomainEvent[] = [
  { type: "user.created", userId: "u1", phone: mainland, method: "sms" },
  { type: "user.signed_in", userId: "u1", phone: null, method: "password", isNewUser: false },
  { type: "session.ended", userId: "u1", reason: "logout_all" },
  { type: "session.reuse_detected", userId: "u1", sessionId: "s1" },
  { type: "user.phone_changed", userId: "u1", from: "+8613900139000", to: mainland },
  { type: "user.password_changed", userId: "u1", phone: mainland, reason: "reset" },
  { type: "user.banned", userId: "u1", reason: "fraud", actor: "key:0123abcd" },
  { type: "user.unbanned", userId: "u1", actor: "key:0123abcd" },
  { type: "phone.locked", phone: mainland, reason: "guesses" },
  { type: "prefix.blocked", range: "+86138001" },
  { type: "budget.exhausted", budget: 10000 },
  { type: "sms.failed", phone: mainland, purpose: "login", provider: "tencent", providerCode: "LimitExceeded.PhoneNumberDailyLimit", kind: "throttled" },
  { type: "code.sent", phone: mainland, purpose: "login", provider: "aliyun" },
  { type: "code.verified", phone: mainland, purpose: "login" },
  { type: "sign_in.failed", phone: mainland, method: "password", reason: "invalid_credentials" },
];

describe("webhook payloads", () => {
  it("every webhook type the issue lists has a mapped event whose payload matches its documented schema", () => {
    const mapped = EVENTS.flatMap((event) => {
      const webhook = webhookOf(event);
      return webhook ? [webhook] : [];
    });
    expect(mapped.map((w) => w.type).sort()).toEqual([...WEBHOOK_TYPES].sort());
    for (const webhook of mapped) {
      const body = { type: webhook.type, timestamp: new Date().toISOString(), data: webhook.data };
      expect(() => webhookBodySchema(webhook.type).parse(body), webhook.type).not.toThrow();
      // Phones go out whole (E.164), never as the parsed object.
      expect(JSON.stringify(body)).not.toContain("nationalNumber");
    }
  });

  it("codes sent, codes verified and failed sign-ins are not webhooks", () => {
    expect(webhookOf({ type: "code.sent", phone: mainland, purpose: "login", provider: "aliyun" })).toBeUndefined();
    expect(webhookOf({ type: "code.verified", phone: mainland, purpose: "login" })).toBeUndefined();
    expect(webhookOf({ type: "sign_in.failed", phone: mainland, method: "sms", reason: "x" })).toBeUndefined();
  });

  it("a schema refuses a payload of another type or with a missing field", () => {
    expect(() => webhookBodySchema("user.created").parse({ type: "user.banned", timestamp: new Date().toISOString(), data: { userId: "u" } })).toThrow();
    expect(() => webhookBodySchema("user.created").parse({ type: "user.created", timestamp: new Date().toISOString(), data: { userId: "u" } })).toThrow();
  });
});
