/**
 * Issue 10 item 3, the decoy half: a reset to an unregistered number is charged like a real send,
 * and wrong guesses at its decoy code do not lock the number.
 *
 * Its own file, so its own isolate: the budget test reads SmsBudget's count, and an isolate that
 * has sent many codes (as lockout.test.ts's layered-limit tests do) leases the budget in blocks,
 * so one send would read as a whole block.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { budgetSpent, phoneGuardOf, setBudgetSpent } from "../support/attacks";
import { captureSms, type ErrorBody, json, post, requestCode, uniquePhone } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();

async function rangeSends(phone: string): Promise<number> {
  return runInDurableObject(phoneGuardOf(phone), (_instance, state) => {
    const range = state.storage.kv.get<{ sends: Record<string, number> }>("range");
    return Object.values(range?.sends ?? {}).reduce((a, n) => a + n, 0);
  });
}

describe("a reset to an unregistered number", () => {
  it("is charged like a real send: the budget and the range's statistics", async () => {
    await setBudgetSpent(0);
    const phone = uniquePhone();
    // Another test's phone may share this number range: count what this send adds.
    const rangeBefore = await rangeSends(phone);
    expect((await post("/v1/codes", { phone, purpose: "reset_password" })).status).toBe(202);
    expect(sms.sentCount(phone)).toBe(0);
    expect(await budgetSpent()).toBe(1);
    expect(await rangeSends(phone)).toBe(rangeBefore + 1);
  });

  it("does not lock the number however its decoy code is guessed", async () => {
    const phone = uniquePhone();
    for (let round = 0; round < 2; round += 1) {
      if (round > 0) await age(phone, 61_000);
      expect((await post("/v1/codes", { phone, purpose: "reset_password" })).status).toBe(202);
      for (let i = 0; i < 5; i += 1) {
        const response = await post("/v1/codes/verify", { phone, purpose: "reset_password", code: "000000" });
        expect((await json<ErrorBody>(response)).error).toMatchObject({ code: "invalid_code", attemptsLeft: 4 - i });
      }
    }
    await age(phone, 61_000);
    // Its owner still signs in.
    const code = await requestCode(sms, phone);
    expect((await post("/v1/auth/sms-login", { phone, code })).status).toBe(200);
  });
});
