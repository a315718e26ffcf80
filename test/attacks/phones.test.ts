/**
 * Which numbers get a code: ALLOWED_COUNTRIES (default CN), mobile-capable numbers only, and
 * TEST_PHONE_NUMBERS (fixed code, never sent, never charged, every other rule applies).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { budgetSpent, clientGuardOf, eventsNamed, phoneGuardOf, storedKeys } from "../support/attacks";
import { type CallOptions, captureSms, type ErrorBody, json, post, uniqueIp, uniquePhone, wrongCode } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();

const send = (phone: string, options?: CallOptions, purpose = "login") => post("/v1/codes", { phone, purpose }, options);

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect((await json<ErrorBody>(response)).error.code).toBe(code);
}

describe("ALLOWED_COUNTRIES", () => {
  const foreign = [
    ["+85251234567", "HK mobile"],
    ["0085251234567", "HK mobile, dialled from CN"],
    ["+85366123456", "MO mobile"],
    ["+886912345678", "TW mobile"],
    ["+12025550123", "US number"],
    ["+447911123456", "UK mobile"],
  ];

  it.each(foreign)("refuses %s (%s) with 400 country_not_allowed by default, and counts nothing", async (phone) => {
    const ip = uniqueIp();
    await expectError(await send(phone, { ip }), 400, "country_not_allowed");
    expect(await storedKeys(clientGuardOf(ip))).toEqual([]);
    expect(sms.lines.some((l) => l.includes('"sms.console"') && l.includes(phone.replace(/^00/, "+")))).toBe(false);
  });

  it("accepts mainland numbers in every written form", async () => {
    const phone = uniquePhone();
    for (const [i, form] of [phone, phone.slice(3), `0086${phone.slice(3)}`, `${phone.slice(0, 6)} ${phone.slice(6, 10)}-${phone.slice(10)}`].entries()) {
      if (i > 0) await age(phone, 61_000);
      const response = await send(form);
      expect(response.status, form).toBe(202);
      expect((await json<{ phone: string }>(response)).phone).toBe(phone);
    }
  });

  it("follows the setting: CN,HK lets Hong Kong through and still refuses the rest", async () => {
    const options = { env: { ALLOWED_COUNTRIES: "CN,HK" } };
    expect((await send("+85251234567", options)).status).toBe(202);
    expect((await send(uniquePhone(), options)).status).toBe(202);
    await expectError(await send("+85366123456", options), 400, "country_not_allowed");
    // HK only: mainland numbers are refused too.
    await expectError(await send(uniquePhone(), { env: { ALLOWED_COUNTRIES: "HK" } }), 400, "country_not_allowed");
  });

  it("refuses numbers that are not mobile-capable (400 invalid_phone) even in an allowed country", async () => {
    const options = { env: { ALLOWED_COUNTRIES: "CN,HK,GB" } };
    for (const phone of ["+861012345678", "+862161234567", "4008123123", "+85221234567", "+442071838750", "+8610086", "110"]) {
      await expectError(await send(phone, options), 400, "invalid_phone");
    }
  });
});

describe("TEST_PHONE_NUMBERS", () => {
  const today = () => new Date().toISOString().slice(0, 10);
  const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const CODE = "246810";
  const testEnv = (phone: string, expires = "2099-01-01", code = CODE) => ({ env: { TEST_PHONE_NUMBERS: JSON.stringify([{ phone, code, expires }]) } });

  it("answers with the fixed code: nothing sent, nothing charged, logged as a test number", async () => {
    const phone = uniquePhone();
    const options = testEnv(phone);
    const spentBefore = await budgetSpent();
    expect((await send(phone, options)).status).toBe(202);
    expect(sms.sentCount(phone)).toBe(0);
    expect(await budgetSpent()).toBe(spentBefore);
    expect(eventsNamed(sms, "code.sent").at(-1)).toMatchObject({ provider: "test_number", purpose: "login" });
    const login = await post("/v1/auth/sms-login", { phone, code: CODE }, options);
    expect(login.status).toBe(200);
    expect((await json<{ user: { phone: string } }>(login)).user.phone).toBe(phone);
  });

  it("is not an open door: the fixed code works only after a send, and only once", async () => {
    const phone = uniquePhone();
    const options = testEnv(phone);
    await expectError(await post("/v1/codes/verify", { phone, purpose: "login", code: CODE }, options), 400, "code_expired");
    expect((await send(phone, options)).status).toBe(202);
    expect((await post("/v1/codes/verify", { phone, purpose: "login", code: CODE }, options)).status).toBe(200);
    await expectError(await post("/v1/codes/verify", { phone, purpose: "login", code: CODE }, options), 400, "code_expired");
  });

  it("keeps the cooldown, the 5 guesses per code and the phone lock", async () => {
    const phone = uniquePhone();
    const options = testEnv(phone);
    expect((await send(phone, options)).status).toBe(202);
    await expectError(await send(phone, options), 429, "too_many_requests");
    for (let i = 0; i < 5; i += 1)
      await expectError(await post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(CODE) }, options), 400, "invalid_code");
    await expectError(await post("/v1/codes/verify", { phone, purpose: "login", code: CODE }, options), 429, "too_many_attempts");
    await age(phone, 61_000);
    expect((await send(phone, options)).status).toBe(202);
    for (let i = 0; i < 5; i += 1) await post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(CODE) }, options);
    // Ten wrong guesses: locked, new codes refused.
    await age(phone, 61_000);
    await expectError(await send(phone, options), 429, "too_many_requests");
  });

  it("keeps the client limit", async () => {
    const phone = uniquePhone();
    const ip = uniqueIp();
    for (let i = 0; i < 10; i += 1) expect((await send(uniquePhone(), { ip })).status).toBe(202);
    await expectError(await send(phone, { ...testEnv(phone), ip }), 429, "too_many_requests");
  });

  it("is valid through the whole UTC day of its expiry date, and ignored after it", async () => {
    const live = uniquePhone();
    expect((await send(live, testEnv(live, today()))).status).toBe(202);
    expect(sms.sentCount(live)).toBe(0);
    expect((await post("/v1/codes/verify", { phone: live, purpose: "login", code: CODE }, testEnv(live, today()))).status).toBe(200);

    const expired = uniquePhone();
    const options = testEnv(expired, yesterday());
    expect((await send(expired, options)).status).toBe(202);
    // A real code went out through the provider, and the fixed one is just a wrong guess.
    expect(sms.sentCount(expired)).toBe(1);
    const real = sms.lastCode(expired);
    if (real !== CODE) await expectError(await post("/v1/codes/verify", { phone: expired, purpose: "login", code: CODE }, options), 400, "invalid_code");
    expect((await post("/v1/codes/verify", { phone: expired, purpose: "login", code: real }, options)).status).toBe(200);
  });

  it("matches the number in any written form, but no other number", async () => {
    const phone = uniquePhone();
    const options = { env: { TEST_PHONE_NUMBERS: JSON.stringify([{ phone: phone.slice(3), code: CODE, expires: "2099-01-01" }]) } };
    expect((await send(phone, options)).status).toBe(202);
    expect(sms.sentCount(phone)).toBe(0);
    const neighbour = `${phone.slice(0, -1)}${(Number(phone.at(-1)) + 1) % 10}`;
    expect((await send(neighbour, options)).status).toBe(202);
    expect(sms.sentCount(neighbour)).toBe(1);
  });

  it("leaves the KV entry a keyed hash, like any code", async () => {
    const phone = uniquePhone();
    expect((await send(phone, testEnv(phone))).status).toBe(202);
    const raw = (await env.CODES.get(`code:login:${phone}`))!;
    expect(raw).not.toContain(CODE);
    expect(await storedKeys(phoneGuardOf(phone))).toContain(`phone:${phone}`);
  });
});
