/**
 * A busy address (a NAT gateway, or a backend with its limit raised) is counted in blocks
 * (src/limits/client-pool.ts) to spare its ClientGuard a call per request; the limit stays exact:
 * never one request past it, whatever arrives at once. With the default limits nothing is leased.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ClientGuard } from "../../src/limits/client-guard";
import { type ErrorBody, json, post, uniqueIp, uniquePhone } from "../support/helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Counts the calls ClientGuard receives, by method (RPC calls reach the class's own methods). */
function countCalls() {
  const calls = { hit: 0, lease: 0 };
  for (const method of ["hit", "lease"] as const) {
    const original = ClientGuard.prototype[method] as (this: ClientGuard, ...args: unknown[]) => unknown;
    vi.spyOn(ClientGuard.prototype, method).mockImplementation(function (this: ClientGuard, ...args: unknown[]) {
      calls[method] += 1;
      return original.apply(this, args) as never;
    });
  }
  return calls;
}

/** A code check for a number with no code: counted against the address, then 400 code_expired. */
const guess = (ip: string, env?: Record<string, unknown>) =>
  post("/v1/codes/verify", { phone: uniquePhone(), purpose: "login", code: "123456" }, { ip, ...(env ? { env } : {}) });

describe("a busy address", () => {
  it("gets exactly its raised limit in parallel bursts, with far fewer ClientGuard calls than requests", async () => {
    const ip = uniqueIp();
    const env = { IP_VERIFICATIONS_PER_HOUR: "600" };
    const calls = countCalls();
    const statuses: number[] = [];
    for (let burst = 0; burst < 16; burst += 1) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => guess(ip, env)));
      statuses.push(...answers.map((r) => r.status));
    }
    expect(statuses.filter((s) => s === 400)).toHaveLength(600);
    expect(statuses.filter((s) => s === 429)).toHaveLength(200);
    expect(calls.lease).toBeGreaterThan(0);
    expect(calls.hit + calls.lease).toBeLessThan(400);
  }, 120_000);

  it("is refused with the wait of its hour once the limit is reached", async () => {
    const ip = uniqueIp();
    const env = { IP_VERIFICATIONS_PER_HOUR: "400" };
    for (let burst = 0; burst < 8; burst += 1) await Promise.all(Array.from({ length: 50 }, () => guess(ip, env)));
    const refused = await guess(ip, env);
    expect(refused.status).toBe(429);
    const { error } = await json<ErrorBody>(refused);
    expect(error.code).toBe("too_many_requests");
    expect(error.retryAfter).toBeGreaterThan(3000);
  }, 120_000);
});

describe("an address at the default limits", () => {
  it("is asked about once per request, never in blocks", async () => {
    const ip = uniqueIp();
    const calls = countCalls();
    const answers = await Promise.all(Array.from({ length: 40 }, () => guess(ip)));
    expect(answers.filter((r) => r.status === 400)).toHaveLength(30);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(10);
    expect(calls).toEqual({ hit: 40, lease: 0 });
  });
});
