/**
 * SMS pumping over one number range: ≥ 20 sends in an hour with < 10 % of them verified blocks
 * sends to the range (+86 150 xxxx) for 12 hours. Other ranges are untouched.
 */
import { describe, expect, it } from "vitest";
import { ageRange, eventCounter, eventsNamed, freshRange, phoneIn } from "../support/attacks";
import { captureSms, type ErrorBody, json, post } from "../support/helpers";

const sms = captureSms();

const send = (phone: string) => post("/v1/codes", { phone, purpose: "login" });
const sentTo = (phones: string[]) => phones.reduce((n, phone) => n + sms.sentCount(phone), 0);

describe("a pumping burst over one prefix", () => {
  it("is cut off after 20 sends, even in parallel, while another prefix still sends", async () => {
    const range = freshRange();
    const events = eventCounter(sms);
    // 40 different numbers, each from its own address: no per-phone or per-IP limit applies.
    const phones = Array.from({ length: 40 }, (_, i) => phoneIn(range, i));
    const responses = await Promise.all(phones.map(send));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    expect(sentTo(phones)).toBe(20);

    const refused = responses.find((r) => r.status === 429)!;
    const body = await json<ErrorBody>(refused);
    expect(body.error.code).toBe("too_many_requests");
    expect(body.error.retryAfter).toBeGreaterThan(11.9 * 3600);
    expect(body.error.retryAfter).toBeLessThanOrEqual(12 * 3600);
    expect(refused.headers.get("Retry-After")).toBe(String(body.error.retryAfter));

    expect(events("prefix.blocked")).toBe(1);
    const blocked = eventsNamed(sms, "prefix.blocked").at(-1)!;
    expect(blocked.range).toBe(`+86${range}`);
    // The range alone: with the masked phone beside it, the full number could be read back.
    expect(blocked).not.toHaveProperty("phone");

    // New numbers in the range are refused too; a neighbouring range sends as usual.
    expect((await send(phoneIn(range, 9999))).status).toBe(429);
    const other = freshRange();
    expect((await send(phoneIn(other, 1))).status).toBe(202);
    expect(sms.sentCount(phoneIn(other, 1))).toBe(1);
  });

  it("stays blocked for 12 hours, then sends again", async () => {
    const range = freshRange();
    for (let i = 0; i < 20; i += 1) await send(phoneIn(range, i));
    expect((await send(phoneIn(range, 100))).status).toBe(429);
    await ageRange(phoneIn(range, 0), 11 * 3600_000);
    expect((await send(phoneIn(range, 101))).status).toBe(429);
    await ageRange(phoneIn(range, 0), 3600_000 + 60_000);
    expect((await send(phoneIn(range, 102))).status).toBe(202);
  });

  it("also blocks verification-free resends to a few numbers of the range", async () => {
    // Pumping can reuse numbers once their cooldowns pass: it is the range's ratio that counts.
    const range = freshRange();
    const phones = [1, 2, 3, 4, 5].map((line) => phoneIn(range, line));
    let delivered = 0;
    for (let round = 0; round < 5; round += 1) {
      if (round > 0) await ageRange(phones[0]!, 61_000);
      for (const phone of phones) if ((await send(phone)).status === 202) delivered += 1;
    }
    expect(delivered).toBe(20);
    expect((await send(phoneIn(range, 6))).status).toBe(429);
  });
});

describe("legitimate traffic", () => {
  it("is not blocked in a busy range where a quarter of the codes are verified", async () => {
    const range = freshRange();
    const phones = Array.from({ length: 40 }, (_, i) => phoneIn(range, i));
    for (const [i, phone] of phones.entries()) {
      expect((await send(phone)).status, `send ${i + 1}`).toBe(202);
      if (i % 4 === 0) {
        expect((await post("/v1/codes/verify", { phone, purpose: "login", code: sms.lastCode(phone) })).status).toBe(200);
      }
    }
  });

  it("is judged on the ratio including the send being made: 2 of 20 passes, 2 of 21 blocks", async () => {
    const range = freshRange();
    for (let i = 0; i < 20; i += 1) {
      expect((await send(phoneIn(range, i))).status, `send ${i + 1}`).toBe(202);
      if (i < 2)
        expect((await post("/v1/codes/verify", { phone: phoneIn(range, i), purpose: "login", code: sms.lastCode(phoneIn(range, i)) })).status).toBe(200);
    }
    // The 21st send is delivered (it is the one that tips the ratio), the 22nd is refused.
    expect((await send(phoneIn(range, 20))).status).toBe(202);
    expect((await send(phoneIn(range, 21))).status).toBe(429);
  });

  it("is judged over the last hour only: old sends leave the window", async () => {
    const range = freshRange();
    for (let i = 0; i < 19; i += 1) expect((await send(phoneIn(range, i))).status).toBe(202);
    await ageRange(phoneIn(range, 0), 3600_000 + 60_000);
    for (let i = 19; i < 38; i += 1) expect((await send(phoneIn(range, i))).status).toBe(202);
  });

  it("does not count test numbers as range sends", async () => {
    const range = freshRange();
    const testNumbers = Array.from({ length: 25 }, (_, i) => ({ phone: phoneIn(range, i), code: "135790", expires: "2099-12-31" }));
    const options = { env: { TEST_PHONE_NUMBERS: JSON.stringify(testNumbers) } };
    for (const { phone } of testNumbers) expect((await post("/v1/codes", { phone, purpose: "login" }, options)).status).toBe(202);
    expect((await send(phoneIn(range, 500))).status).toBe(202);
  });

  it("counts resets to unknown numbers as range sends, like real ones (issue 10: no free lockout)", async () => {
    const range = freshRange();
    for (let i = 100; i < 120; i += 1) expect((await post("/v1/codes", { phone: phoneIn(range, i), purpose: "reset_password" })).status).toBe(202);
    expect((await send(phoneIn(range, 500))).status).toBe(429);
  });
});
