/**
 * Issue 10 item 3: no free mass lockout. Client limits in layers (IPv6 /64, /56 and /48); an
 * address over its limit reaches no shared object; and the figure the docs give: what one address
 * can lock out in an hour. Resets to unregistered numbers (the decoy) are in reset-decoy.test.ts.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { SmsBudget } from "../../src/limits/sms-budget";
import { captureSms, type ErrorBody, json, post, uniqueIp, uniquePhone, wrongCode } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();

// Only the spies on fetch (and the ones a test restores itself): captureSms's spy on console.log stays.
afterEach(() => {
  vi.mocked(globalThis.fetch).mockRestore?.();
});

let prefixCounter = 0;
/** A fresh /48 (2001:db8:<n>::/48) to carve /56s and /64s from. */
function fresh48(): (sub56: number, sub64: number) => string {
  prefixCounter += 1;
  const top = (0x100 + prefixCounter * 7 + Math.floor(Math.random() * 0xe000)).toString(16);
  return (sub56, sub64) => `2001:db8:${top}:${(sub56 * 256 + sub64).toString(16)}::1`;
}

const send = (phone: string, ip: string) => post("/v1/codes", { phone, purpose: "login" }, { ip });

describe("IPv6 client limits in layers", () => {
  it("caps a /56 at 50 sends an hour, however many /64s it uses", async () => {
    const ip = fresh48();
    const statuses: number[] = [];
    for (let batch = 0; batch < 6; batch += 1) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => send(uniquePhone(), ip(0, batch * 10 + i))));
      statuses.push(...answers.map((r) => r.status));
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(50);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  }, 60_000);

  it("caps a /48 at 200 sends an hour, however many /56s it uses", async () => {
    const ip = fresh48();
    const statuses: number[] = [];
    for (let sub56 = 0; sub56 < 5; sub56 += 1) {
      for (let batch = 0; batch < 5; batch += 1) {
        const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => send(uniquePhone(), ip(sub56, batch * 10 + i))));
        statuses.push(...answers.map((r) => r.status));
      }
    }
    // 4 × 50 from the first four /56s; the fifth /56 is refused by the /48.
    expect(statuses.filter((s) => s === 202)).toHaveLength(200);
    expect(statuses.slice(200).every((s) => s === 429)).toBe(true);
  }, 120_000);

  it("caps a /56 at 150 verifications an hour", async () => {
    const ip = fresh48();
    const statuses: number[] = [];
    for (let batch = 0; batch < 16; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          post("/v1/codes/verify", { phone: uniquePhone(), purpose: "login", code: "123456" }, { ip: ip(1, batch * 10 + i) }),
        ),
      );
      statuses.push(...answers.map((r) => r.status));
    }
    expect(statuses.filter((s) => s === 400)).toHaveLength(150);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  }, 60_000);
});

describe("an address over its limit reaches no shared object", () => {
  it("does not call the SMS budget once refused", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 10; i += 1) expect((await send(uniquePhone(), ip)).status).toBe(202);
    const calls: string[] = [];
    const spies: { mockRestore(): void }[] = [];
    // RPC calls reach the class's own methods: spying on the prototype sees every call to the budget.
    for (const method of ["spend", "check", "refund"] as const) {
      const original = SmsBudget.prototype[method] as (this: SmsBudget, budget: number) => unknown;
      const spy = vi.spyOn(SmsBudget.prototype, method);
      spies.push(spy);
      spy.mockImplementation(function (this: SmsBudget, budget: number) {
        calls.push(method);
        return original.call(this, budget) as never;
      });
    }
    for (let i = 0; i < 5; i += 1) expect((await send(uniquePhone(), ip)).status).toBe(429);
    expect(calls).toEqual([]);
    // The spy does see a send from another address.
    expect((await send(uniquePhone(), uniqueIp())).status).toBe(202);
    expect(calls).toEqual(["spend"]);
    for (const spy of spies) spy.mockRestore();
  });
});

describe("what one address can lock out in an hour", () => {
  it("locks at most 3 numbers from one IPv4 address (2 real sends and 10 wrong guesses each)", async () => {
    const ip = uniqueIp();
    const locked: boolean[] = [];
    for (let n = 0; n < 4; n += 1) {
      const phone = uniquePhone();
      for (let round = 0; round < 2; round += 1) {
        if (round > 0) await age(phone, 61_000);
        const response = await send(phone, ip);
        if (response.status !== 202) break;
        const code = sms.lastCode(phone);
        for (let i = 0; i < 5; i += 1) await post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(code) }, { ip });
      }
      await age(phone, 61_000);
      const probe = await send(phone, uniqueIp());
      locked.push(probe.status === 429 && (await json<ErrorBody>(probe)).error.retryAfter! > 3000);
    }
    expect(locked).toEqual([true, true, true, false]);
  });
});
