/**
 * The deployment's daily SMS budget (DAILY_SMS_BUDGET, default 10 000): never one SMS over it,
 * even under parallel sends; 503 sms_budget_exhausted until the next UTC day; one alert a day.
 * The budget object is shared by this whole file, so each test sets today's spend first.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { budgetSpent, eventCounter, eventsNamed, setBudgetSpent } from "../support/attacks";
import { captureSms, type ErrorBody, json, post, signIn, uniquePhone } from "../support/helpers";
import { age, clearOfUtcMidnight } from "../support/time";

// These tests set up today's budget (a UTC day): never let the day change under them.
beforeEach(clearOfUtcMidnight, 60_000);

const sms = captureSms();
const BUDGET = 10_000;

const send = (phone: string, options?: Parameters<typeof post>[2]) => post("/v1/codes", { phone, purpose: "login" }, options);
const sentTo = (phones: string[]) => phones.reduce((n, phone) => n + sms.sentCount(phone), 0);

function secondsToUtcMidnight(): number {
  const midnight = new Date();
  midnight.setUTCHours(24, 0, 0, 0);
  return (midnight.getTime() - Date.now()) / 1000;
}

describe("the daily SMS budget", () => {
  it("lets exactly the 5 SMS left through out of 30 parallel sends, and alerts once", async () => {
    await setBudgetSpent(BUDGET - 5);
    const events = eventCounter(sms);
    const phones = Array.from({ length: 30 }, () => uniquePhone());
    // The refusals were computed somewhere between these two instants (30 sends take a while on a busy machine).
    const untilMidnightBefore = secondsToUtcMidnight();
    const responses = await Promise.all(phones.map((phone) => send(phone)));
    const untilMidnightAfter = secondsToUtcMidnight();
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 503)).toHaveLength(25);
    expect(sentTo(phones)).toBe(5);
    expect(await budgetSpent()).toBe(BUDGET);

    const refused = responses.find((r) => r.status === 503)!;
    const body = await json<ErrorBody>(refused);
    expect(body.error.code).toBe("sms_budget_exhausted");
    expect(body.error.retryAfter).toBeGreaterThanOrEqual(Math.floor(untilMidnightAfter) - 5);
    expect(body.error.retryAfter).toBeLessThanOrEqual(Math.ceil(untilMidnightBefore) + 1);
    expect(refused.headers.get("Retry-After")).toBe(String(body.error.retryAfter));

    // More refusals do not alert again.
    expect((await send(uniquePhone())).status).toBe(503);
    expect(events("budget.exhausted")).toBe(1);
    expect(eventsNamed(sms, "budget.exhausted").at(-1)).toMatchObject({ budget: BUDGET });

    // A refused phone kept no code and no cooldown: nothing in KV, and it can send once there is budget.
    const refusedPhone = phones[statuses.indexOf(503)]!;
    expect((await env.CODES.list({ prefix: `code:login:${refusedPhone}` })).keys).toHaveLength(0);
    await setBudgetSpent(0);
    expect((await send(refusedPhone)).status).toBe(202);
  });

  it("alerts at the first refusal when the day starts at or over the budget (e.g. the budget was lowered)", async () => {
    await setBudgetSpent(BUDGET + 50);
    const events = eventCounter(sms);
    const responses = await Promise.all(Array.from({ length: 5 }, () => send(uniquePhone())));
    expect(responses.map((r) => r.status)).toEqual(Array(5).fill(503));
    expect(events("budget.exhausted")).toBe(1);
  });

  it("opens again on the next UTC day", async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await setBudgetSpent(BUDGET, yesterday);
    expect((await send(uniquePhone())).status).toBe(202);
    expect(await budgetSpent()).toBe(1);
  });

  it("follows DAILY_SMS_BUDGET", async () => {
    await setBudgetSpent(0);
    const options = { env: { DAILY_SMS_BUDGET: "5" } };
    const phones = Array.from({ length: 12 }, () => uniquePhone());
    const statuses = (await Promise.all(phones.map((phone) => send(phone, options)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 503)).toHaveLength(7);
    expect(sentTo(phones)).toBe(5);
    // DAILY_SMS_BUDGET=0 sends nothing at all.
    expect((await send(uniquePhone(), { env: { DAILY_SMS_BUDGET: "0" } })).status).toBe(503);
  });

  it("is not spent by refused sends (cooldown, client limit)", async () => {
    await setBudgetSpent(0);
    const phone = uniquePhone();
    expect((await send(phone)).status).toBe(202);
    for (let i = 0; i < 5; i += 1) expect((await send(phone)).status).toBe(429);
    expect(await budgetSpent()).toBe(1);
  });

  it("answers a reset for an unknown number like one for a registered number when spent (no enumeration)", async () => {
    await setBudgetSpent(0);
    const user = await signIn(sms);
    await age(user.phone, 61_000);
    await setBudgetSpent(BUDGET);
    const known = await post("/v1/codes", { phone: user.phone, purpose: "reset_password" });
    const unknown = await post("/v1/codes", { phone: uniquePhone(), purpose: "reset_password" });
    expect(known.status).toBe(503);
    expect(unknown.status).toBe(503);
    const a = await json<ErrorBody>(known);
    const b = await json<ErrorBody>(unknown);
    expect(a.error.code).toBe(b.error.code);
    expect(await budgetSpent()).toBe(BUDGET);
  });

  it("does not charge test numbers, even when spent", async () => {
    await setBudgetSpent(BUDGET);
    const phone = uniquePhone();
    const options = { env: { TEST_PHONE_NUMBERS: JSON.stringify([{ phone, code: "864209", expires: "2099-01-01" }]) } };
    expect((await send(phone, options)).status).toBe(202);
    expect(await budgetSpent()).toBe(BUDGET);
    await setBudgetSpent(0);
    expect((await post("/v1/codes/verify", { phone, purpose: "login", code: "864209" })).status).toBe(200);
    expect(await budgetSpent()).toBe(0);
  });

  it("gives every limit back when a limit object fails (500), so the user is not left in a cooldown", async () => {
    await setBudgetSpent(0);
    const phone = uniquePhone();
    const failing = {
      idFromName: () => ({}),
      get: () => ({
        spend: () => Promise.reject(new Error("Durable Object is overloaded")),
        check: () => Promise.reject(new Error("Durable Object is overloaded")),
        refund: () => Promise.resolve(),
      }),
    };
    const broken = await send(phone, { env: { SMS_BUDGET: failing } });
    expect(broken.status).toBe(500);
    expect((await json<ErrorBody>(broken)).error.code).toBe("internal_error");
    expect(sms.sentCount(phone)).toBe(0);
    expect((await send(phone)).status).toBe(202);
  });
});
