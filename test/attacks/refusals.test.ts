import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/platform/config";
import { hmac, toBase64Url } from "../../src/platform/crypto";
import { budgetSpent, eventCounter, freshRange, phoneGuardOf, phoneIn, setBudgetSpent } from "../support/attacks";
import { captureSms, type ErrorBody, json, post, requestCode, signIn, uniqueIp, uniquePhone, wrongCode } from "../support/helpers";
import { age, waitForBackground } from "../support/time";

const sms = captureSms();

/** The {id, mac} KV holds for a reset code, once the background send has stored it. */
async function storedCode(phone: string): Promise<{ id: string; mac: string }> {
  let raw: string | null = null;
  await waitForBackground(async () => {
    raw = await env.CODES.get(`code:reset_password:${phone}`);
    return raw !== null;
  });
  return JSON.parse(raw!) as { id: string; mac: string };
}

async function rangeTotals(phone: string): Promise<{ sends: number; successes: number; blocked: boolean }> {
  return runInDurableObject(phoneGuardOf(phone), (_instance, state) => {
    const range = state.storage.kv.get<{ sends: Record<string, number>; successes: Record<string, number>; blockedUntil?: number }>("range");
    const sum = (b: Record<string, number> | undefined) => Object.values(b ?? {}).reduce((a, n) => a + n, 0);
    return { sends: sum(range?.sends), successes: sum(range?.successes), blocked: range?.blockedUntil !== undefined };
  });
}

describe("a refused request leaves nothing behind", () => {
  it("cannot block a number range for free: sends refused by the client limit count for nothing", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 10; i += 1) expect((await post("/v1/codes", { phone: uniquePhone(), purpose: "login" }, { ip })).status).toBe(202);
    const range = freshRange();
    const events = eventCounter(sms);
    const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => post("/v1/codes", { phone: phoneIn(range, i), purpose: "login" }, { ip })));
    expect(burst.every((r) => r.status === 429)).toBe(true);
    expect(events("prefix.blocked")).toBe(0);
    expect(await rangeTotals(phoneIn(range, 0))).toEqual({ sends: 0, successes: 0, blocked: false });
    // A real user in that range is served.
    expect((await post("/v1/codes", { phone: phoneIn(range, 99), purpose: "login" })).status).toBe(202);
  });

  it("does not let one owned number prop up its range: a right code refused by the client limit is no success", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const ip = uniqueIp();
    for (let i = 0; i < 30; i += 1) await post("/v1/codes/verify", { phone: uniquePhone(), purpose: "login", code: "123456" }, { ip });
    for (let i = 0; i < 5; i += 1) expect((await post("/v1/auth/sms-login", { phone, code }, { ip })).status).toBe(429);
    expect((await rangeTotals(phone)).successes).toBe(0);
    expect((await post("/v1/auth/sms-login", { phone, code })).status).toBe(200);
    expect((await rangeTotals(phone)).successes).toBe(1);
  });

  it("does not spend the budget's alert on a request refused for its cooldown", async () => {
    const phone = uniquePhone();
    await requestCode(sms, phone);
    await setBudgetSpent(9999);
    const events = eventCounter(sms);
    expect((await post("/v1/codes", { phone, purpose: "login" })).status).toBe(429);
    expect(await budgetSpent()).toBe(9999);
    expect(events("budget.exhausted")).toBe(0);
    // The real last SMS alerts, once.
    await requestCode(sms, uniquePhone());
    expect(await budgetSpent()).toBe(10000);
    expect(events("budget.exhausted")).toBe(1);
    await setBudgetSpent(0);
  });
});

describe("a reset for a number with no account", () => {
  it("answers guesses at its code exactly like a reset for a real account", async () => {
    const known = await signIn(sms);
    await age(known.phone, 61_000);
    const unknown = uniquePhone();
    const knownCode = await requestCode(sms, known.phone, "reset_password");
    expect((await post("/v1/codes", { phone: unknown, purpose: "reset_password" })).status).toBe(202);
    await storedCode(unknown);

    const answers = [];
    for (const [phone, code] of [
      [known.phone, wrongCode(knownCode)],
      [unknown, "000000"],
    ] as const) {
      const response = await post("/v1/codes/verify", { phone, purpose: "reset_password", code });
      const { error } = await json<ErrorBody>(response);
      answers.push({ status: response.status, error: error.code, attemptsLeft: error.attemptsLeft });
    }
    expect(answers[0]).toEqual({ status: 400, error: "invalid_code", attemptsLeft: 4 });
    expect(answers[1]).toEqual(answers[0]);
  });

  it("never verifies, not even with the decoy code itself", async () => {
    const unknown = uniquePhone();
    expect((await post("/v1/codes", { phone: unknown, purpose: "reset_password" })).status).toBe(202);
    // Force a match: store the hash of a code we know under the decoy's id, as if a guess were right.
    const stored = await storedCode(unknown);
    const secret = parseConfig(env).AUTH_SECRET;
    const mac = toBase64Url(await hmac(secret, `code|${stored.id}|${unknown}|reset_password|123456`));
    await env.CODES.put(`code:reset_password:${unknown}`, JSON.stringify({ id: stored.id, mac }));
    const response = await post("/v1/codes/verify", { phone: unknown, purpose: "reset_password", code: "123456" });
    expect(response.status).toBe(400);
    expect((await json<ErrorBody>(response)).error).toMatchObject({ code: "invalid_code", attemptsLeft: 4 });
  });
});

describe("probing for live codes", () => {
  it("counts guesses at numbers with no code against the client address", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 30; i += 1) {
      const response = await post("/v1/codes/verify", { phone: uniquePhone(), purpose: "login", code: "123456" }, { ip });
      expect((await json<ErrorBody>(response)).error.code).toBe("code_expired");
    }
    const limited = await post("/v1/codes/verify", { phone: uniquePhone(), purpose: "login", code: "123456" }, { ip });
    expect(limited.status).toBe(429);
  });
});
