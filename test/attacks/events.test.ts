/**
 * Security events: one JSON line per event (code.sent, code.failed, phone.locked, ip.limited,
 * prefix.blocked, budget.exhausted, captcha.failed), with the phone masked (+86138****8000) and
 * never a code, a full number, a secret or a captcha token.
 */
import { describe, expect, it, vi } from "vitest";
import { SITEVERIFY_URL } from "../../src/limits/turnstile";
import { maskPhone } from "../../src/phone/phone";
import { budgetSpent, eventsNamed, freshRange, phoneIn, setBudgetSpent } from "../support/attacks";
import { captureSms, type ErrorBody, json, post, requestCode, uniqueIp, uniquePhone, withoutRandomIds, wrongCode } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();

const TURNSTILE_SECRET = "2x0000000000000000000000000000000AA";
const CAPTCHA_TOKEN = "XXXX.DUMMY.TOKEN.XXXX";
const RONGLIAN = {
  SMS_PROVIDER: "ronglian",
  RONGLIAN_BASE_URL: "https://ronglian.test",
  RONGLIAN_ACCOUNT_SID: "abc123",
  RONGLIAN_AUTH_TOKEN: "ronglianAuthTokenSecretValue",
  RONGLIAN_APP_ID: "app1",
  RONGLIAN_TEMPLATE_IDS: '{"login":"1","register":"2","reset_password":"3","change_phone":"4"}',
};

const phones = new Set<string>();
const codes = new Set<string>();
const track = (phone: string) => {
  phones.add(phone);
  return phone;
};

describe("security events", () => {
  it("code.sent: provider, masked phone and purpose", async () => {
    const phone = track(uniquePhone());
    codes.add(await requestCode(sms, phone));
    expect(eventsNamed(sms, "code.sent").at(-1)).toMatchObject({ provider: "console", phone: maskPhone(phone), purpose: "login" });
  });

  it("code.failed: provider and kind; the budget and the cooldown are given back", async () => {
    await setBudgetSpent(0);
    const phone = track(uniquePhone());
    const spy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Network connection lost."));
    try {
      const response = await post("/v1/codes", { phone, purpose: "login" }, { env: RONGLIAN });
      expect(response.status).toBe(502);
      expect((await json<ErrorBody>(response)).error.code).toBe("sms_send_failed");
    } finally {
      spy.mockRestore();
    }
    expect(eventsNamed(sms, "code.failed").at(-1)).toMatchObject({ provider: "ronglian", kind: "retryable", phone: maskPhone(phone), purpose: "login" });
    expect(await budgetSpent()).toBe(0);
    codes.add(await requestCode(sms, phone));
  });

  it("phone.locked: once, at the 10th wrong guess", async () => {
    const phone = track(uniquePhone());
    for (let round = 0; round < 2; round += 1) {
      if (round > 0) await age(phone, 61_000);
      const code = await requestCode(sms, phone);
      codes.add(code);
      codes.add(wrongCode(code));
      for (let i = 0; i < 5; i += 1) await post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(code) });
    }
    const locked = eventsNamed(sms, "phone.locked").filter((e) => e.phone === maskPhone(phone));
    expect(locked).toHaveLength(1);
    expect(locked[0]).toMatchObject({ purpose: "login" });
  });

  it("ip.limited: kind, masked phone and a tag of the client (a hash, not the address)", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 10; i += 1) codes.add(await requestCode(sms, track(uniquePhone()), "login", { ip }));
    const phone = track(uniquePhone());
    expect((await post("/v1/codes", { phone, purpose: "login" }, { ip })).status).toBe(429);
    expect((await post("/v1/codes", { phone: track(uniquePhone()), purpose: "login" }, { ip })).status).toBe(429);
    const [first, second] = eventsNamed(sms, "ip.limited").slice(-2);
    expect(first).toMatchObject({ kind: "send", phone: maskPhone(phone), client: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(second!.client).toBe(first!.client);
    expect(JSON.stringify(first)).not.toContain(ip);
  });

  it("prefix.blocked: the range, once", async () => {
    const range = freshRange();
    for (let i = 0; i < 21; i += 1) await post("/v1/codes", { phone: track(phoneIn(range, i)), purpose: "login" });
    const blocked = eventsNamed(sms, "prefix.blocked").filter((e) => e.range === `+86${range}`);
    expect(blocked).toHaveLength(1);
    // Only the prefix events name the range; every other line masks the digits the range shows.
    for (const line of sms.lines.filter((l) => l.includes(`+86${range}`) && !l.includes('"sms.console"'))) expect(JSON.parse(line).event).toMatch(/^prefix\./);
  });

  it("budget.exhausted: the budget, once a day", async () => {
    await setBudgetSpent(10_000 - 1);
    codes.add(await requestCode(sms, track(uniquePhone())));
    expect((await post("/v1/codes", { phone: track(uniquePhone()), purpose: "login" })).status).toBe(503);
    expect(eventsNamed(sms, "budget.exhausted")).toEqual([expect.objectContaining({ budget: 10_000 })]);
    await setBudgetSpent(0);
  });

  it("captcha.failed: the reason, never the secret or the token", async () => {
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      expect(new Request(input, init).url).toBe(SITEVERIFY_URL);
      return Response.json({ success: false, "error-codes": ["invalid-input-response"] });
    });
    try {
      const response = await post(
        "/v1/codes",
        { phone: track(uniquePhone()), purpose: "login", captchaToken: CAPTCHA_TOKEN },
        { env: { TURNSTILE_SECRET_KEY: TURNSTILE_SECRET } },
      );
      expect(response.status).toBe(403);
    } finally {
      spy.mockRestore();
    }
    expect(eventsNamed(sms, "captcha.failed").at(-1)).toMatchObject({ reason: "invalid-input-response" });
  });

  it("are one JSON object per line, each with a request id, and never carry a code, a full number or a secret", () => {
    const names = ["code.sent", "code.failed", "phone.locked", "ip.limited", "prefix.blocked", "budget.exhausted", "captcha.failed"];
    for (const name of names) expect(eventsNamed(sms, name).length, name).toBeGreaterThan(0);

    const forbidden = [...phones, ...codes, TURNSTILE_SECRET, CAPTCHA_TOKEN, RONGLIAN.RONGLIAN_AUTH_TOKEN];
    expect(codes.size).toBeGreaterThan(10);
    for (const line of sms.lines) {
      const event = JSON.parse(line) as Record<string, unknown>;
      expect(typeof event.event).toBe("string");
      // The console provider's own line is the one place a code is printed (refused in production).
      if (event.event === "sms.console") continue;
      expect(typeof event.requestId, line).toBe("string");
      // A range names its 7 digits by design: a code's digits may fall in it by chance.
      const scrubbed = withoutRandomIds(line).replace(/"range":"\+\d+"/g, '"range":"<range>"');
      for (const value of forbidden) expect(scrubbed, `${value} in ${line}`).not.toContain(value);
      if (typeof event.phone === "string") expect(event.phone).toMatch(/^\+\d{5}\*{4}\d{4}$/);
    }
  });
});
