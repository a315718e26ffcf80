/**
 * Per-client limits: IP_SENDS_PER_HOUR (10) and IP_VERIFICATIONS_PER_HOUR (30) per IPv4 address
 * or IPv6 /64, exact under concurrency, refused sends included.
 */
import { describe, expect, it } from "vitest";
import { ageClient, eventCounter } from "../support/attacks";
import { captureSms, type ErrorBody, json, post, requestCode, uniqueIp, uniquePhone, wrongCode } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();

const send = (phone: string, ip: string) => post("/v1/codes", { phone, purpose: "login" }, { ip });
const statuses = (responses: Response[]) => responses.map((r) => r.status);

describe("an IP cycling through phone numbers", () => {
  it("gets 10 codes sent out of 100 numbers, then 429 with Retry-After; nothing more is sent", async () => {
    const ip = uniqueIp();
    const events = eventCounter(sms);
    const phones = Array.from({ length: 100 }, () => uniquePhone());
    const responses: Response[] = [];
    for (const phone of phones) responses.push(await send(phone, ip));
    expect(statuses(responses).slice(0, 10)).toEqual(Array(10).fill(202));
    expect(statuses(responses).slice(10)).toEqual(Array(90).fill(429));
    expect(phones.reduce((n, phone) => n + sms.sentCount(phone), 0)).toBe(10);

    const refused = responses[50]!;
    const body = await json<ErrorBody>(refused);
    expect(body.error.code).toBe("too_many_requests");
    expect(body.error.retryAfter).toBeGreaterThan(3500);
    expect(refused.headers.get("Retry-After")).toBe(String(body.error.retryAfter));
    expect(events("ip.limited")).toBe(90);

    // The refused numbers were not touched: another client can send to them at once (no cooldown).
    expect((await post("/v1/codes", { phone: phones[99], purpose: "login" })).status).toBe(202);
  });

  it("is held to exactly 10 out of 40 parallel sends", async () => {
    const ip = uniqueIp();
    const phones = Array.from({ length: 40 }, () => uniquePhone());
    const responses = await Promise.all(phones.map((phone) => send(phone, ip)));
    expect(statuses(responses).filter((s) => s === 202)).toHaveLength(10);
    expect(statuses(responses).filter((s) => s === 429)).toHaveLength(30);
    expect(phones.reduce((n, phone) => n + sms.sentCount(phone), 0)).toBe(10);
  });

  it("counts refused sends too (here: resend cooldowns)", async () => {
    const ip = uniqueIp();
    const phone = uniquePhone();
    expect((await send(phone, ip)).status).toBe(202);
    for (let i = 0; i < 4; i += 1) expect((await send(phone, ip)).status).toBe(429); // cooldown
    const others = [];
    for (let i = 0; i < 6; i += 1) others.push((await send(uniquePhone(), ip)).status);
    expect(others).toEqual([202, 202, 202, 202, 202, 429]);
  });

  it("is free again once its sends leave the hour", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 10; i += 1) expect((await send(uniquePhone(), ip)).status).toBe(202);
    expect((await send(uniquePhone(), ip)).status).toBe(429);
    await ageClient(ip, 30 * 60_000);
    expect((await send(uniquePhone(), ip)).status).toBe(429);
    await ageClient(ip, 31 * 60_000);
    expect((await send(uniquePhone(), ip)).status).toBe(202);
  });

  it("gets 30 guesses evaluated across 40 phones' codes, then 429", async () => {
    const phones = Array.from({ length: 40 }, () => uniquePhone());
    const codes = await Promise.all(phones.map((phone) => requestCode(sms, phone)));
    const ip = uniqueIp();
    const events = eventCounter(sms);
    const answers: number[] = [];
    for (const [i, phone] of phones.entries()) {
      answers.push((await post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(codes[i]!) }, { ip })).status);
    }
    expect(answers.slice(0, 30)).toEqual(Array(30).fill(400));
    expect(answers.slice(30)).toEqual(Array(10).fill(429));
    expect(events("ip.limited")).toBe(10);
    // sms-login shares the verification count.
    const login = await post("/v1/auth/sms-login", { phone: phones[0], code: codes[0] }, { ip });
    expect(login.status).toBe(429);
    expect((await json<ErrorBody>(login)).error.code).toBe("too_many_requests");
    // That right code was refused by the address's limit, not spent: from another address it works.
    expect((await post("/v1/auth/sms-login", { phone: phones[0], code: codes[0] })).status).toBe(200);
  });

  it("does not count verifications against the send limit, nor sends against the verification limit", async () => {
    const ip = uniqueIp();
    const phones = Array.from({ length: 10 }, () => uniquePhone());
    for (const phone of phones) expect((await send(phone, ip)).status).toBe(202);
    for (const phone of phones) {
      const code = sms.lastCode(phone);
      expect((await post("/v1/codes/verify", { phone, purpose: "login", code }, { ip })).status).toBe(200);
    }
  });
});

describe("IPv6 clients", () => {
  it("share one count per /64, whatever the interface id; another /64 has its own", async () => {
    const net = `2001:db8:${(Math.floor(Math.random() * 0xffff)).toString(16)}:7`;
    const addresses = [`${net}::1`, `${net}:0:0:0:2`, `${net}:aaaa:bbbb:cccc:dddd`, `${net.toUpperCase()}::FFFF`];
    const sent: number[] = [];
    for (let i = 0; i < 10; i += 1) sent.push((await send(uniquePhone(), addresses[i % addresses.length]!)).status);
    expect(sent).toEqual(Array(10).fill(202));
    for (const address of addresses) expect((await send(uniquePhone(), address)).status, address).toBe(429);
    // The neighbouring /64 and an IPv4 client are untouched.
    expect((await send(uniquePhone(), `${net.slice(0, -1)}8::1`)).status).toBe(202);
    expect((await send(uniquePhone(), uniqueIp())).status).toBe(202);
  });

  it("count an IPv4-mapped address as its IPv4 address", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 5; i += 1) expect((await send(uniquePhone(), ip)).status).toBe(202);
    for (let i = 0; i < 5; i += 1) expect((await send(uniquePhone(), `::ffff:${ip}`)).status).toBe(202);
    expect((await send(uniquePhone(), ip)).status).toBe(429);
    // Another mapped address is another client, not the same "::/64".
    expect((await send(uniquePhone(), `::ffff:${uniqueIp()}`)).status).toBe(202);
  });
});

describe("a phone's own limits", () => {
  it("still apply when every request comes from a new address", async () => {
    const phone = uniquePhone();
    await requestCode(sms, phone);
    const burst = await Promise.all(Array.from({ length: 10 }, () => post("/v1/codes", { phone, purpose: "login" })));
    expect(statuses(burst)).toEqual(Array(10).fill(429));
    await age(phone, 61_000);
    expect((await post("/v1/codes", { phone, purpose: "login" })).status).toBe(202);
  });
});
