import { describe, expect, it } from "vitest";
import { emptyPhone, type PhoneSettings, type PhoneState } from "../../src/limits/phone-state";
import { consume, restore, stagePassword, takeRegistration } from "../../src/limits/verification-tokens";

const settings: PhoneSettings = { RESEND_INTERVAL_SECONDS: 60, DAILY_SENDS_PER_PHONE: 10, PHONE_GUESS_WINDOW_SECONDS: 3600, LOGIN_FAILURE_WINDOW_SECONDS: 900 };
const T = Date.UTC(2026, 0, 15, 12, 0, 0);

const withTokens = (tokens: PhoneState["tokens"]): PhoneState => ({ ...emptyPhone(), tokens });

describe("verification tokens", () => {
  it("are spent once, for their own purpose only", () => {
    const state = withTokens({ j: { purpose: "reset_password", expiresAt: T + 600_000 } });
    expect(consume(state, settings, T, { jti: "j", purpose: "change_phone" })).toEqual({ result: { ok: false, reason: "invalid" }, state: undefined });
    const spent = consume(state, settings, T, { jti: "j", purpose: "reset_password" });
    expect(spent.result).toEqual({ ok: true });
    expect(spent.state!.tokens).toEqual({});
    expect(consume(spent.state, settings, T, { jti: "j", purpose: "reset_password" }).result).toEqual({ ok: false, reason: "invalid" });
    expect(state.tokens.j).toBeDefined();
  });

  it("run out at their own expiry", () => {
    const state = withTokens({ j: { purpose: "reset_password", expiresAt: T + 600_000 } });
    expect(consume(state, settings, T + 599_999, { jti: "j", purpose: "reset_password" }).result.ok).toBe(true);
    expect(consume(state, settings, T + 600_000, { jti: "j", purpose: "reset_password" }).result.ok).toBe(false);
  });

  it("stage a password for registration only, repeatably, and hand it over once", () => {
    const state = withTokens({ r: { purpose: "register", expiresAt: T + 600_000 }, l: { purpose: "login", expiresAt: T + 600_000 } });
    expect(stagePassword(state, settings, T, { jti: "l", passwordHash: "h" }).result).toEqual({ ok: false, reason: "invalid" });
    expect(takeRegistration(state, settings, T, "r")).toEqual({ result: { ok: false, reason: "password_required" }, state: undefined });
    const first = stagePassword(state, settings, T, { jti: "r", passwordHash: "h1" }).state!;
    const second = stagePassword(first, settings, T + 1000, { jti: "r", passwordHash: "h2" }).state!;
    expect(second.tokens.r).toEqual({ purpose: "register", expiresAt: T + 600_000, passwordHash: "h2" });
    const taken = takeRegistration(second, settings, T + 2000, "r");
    expect(taken.result).toEqual({ ok: true, passwordHash: "h2" });
    expect(Object.keys(taken.state!.tokens)).toEqual(["l"]);
    expect(takeRegistration(taken.state, settings, T + 3000, "r").result).toEqual({ ok: false, reason: "invalid" });
  });

  it("are put back when still valid, with their staged hash, and stay gone once expired", () => {
    const restored = restore(undefined, settings, T, { jti: "r", purpose: "register", expiresAt: T + 1000, passwordHash: "h" });
    expect(restored.state!.tokens).toEqual({ r: { purpose: "register", expiresAt: T + 1000, passwordHash: "h" } });
    const plain = restore(undefined, settings, T, { jti: "p", purpose: "change_phone", expiresAt: T + 1000 });
    expect(plain.state!.tokens).toEqual({ p: { purpose: "change_phone", expiresAt: T + 1000 } });
    expect(restore(undefined, settings, T + 1000, { jti: "r", purpose: "register", expiresAt: T + 1000 })).toEqual({ result: undefined, state: undefined });
  });
});
