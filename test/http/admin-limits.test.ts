import { beforeEach, describe, expect, it } from "vitest";
import { admin, waitForAudit } from "../support/admin";
import { freshRange, phoneIn } from "../support/attacks";
import { captureSms, json, post, requestCode, uniquePhone, wrongCode } from "../support/helpers";
import { age, clearOfUtcMidnight } from "../support/time";

// These tests set up today's budget (a UTC day): never let the day change under them.
beforeEach(clearOfUtcMidnight, 60_000);

const sms = captureSms();

interface PhoneState {
  phone: string;
  cooldownSeconds: number;
  sendsLast24h: number;
  failedGuesses: number;
  lockedUntil: string | null;
  range: { range: string; sends: number; verified: number; blockedUntil: string | null };
}

/** Ten wrong guesses over two codes: the phone locks (PHONE_MAX_FAILED_GUESSES = 10). */
async function lock(phone: string): Promise<void> {
  for (let round = 0; round < 2; round += 1) {
    if (round > 0) await age(phone, 61_000);
    const code = await requestCode(sms, phone);
    for (let i = 0; i < 5; i += 1) await post("/v1/auth/sms-login", { phone, code: wrongCode(code) });
  }
}

describe("admin: phones, ranges, budget", () => {
  it("shows a locked phone and unlocks it: the user can get a code and sign in again", async () => {
    const phone = uniquePhone();
    await lock(phone);
    await age(phone, 61_000);
    expect((await post("/v1/codes", { phone, purpose: "login" })).status).toBe(429);

    const seen = await json<{ phoneState: PhoneState }>(await admin("GET", `/phones/${encodeURIComponent(phone)}`));
    expect(seen.phoneState.lockedUntil).not.toBeNull();
    expect(seen.phoneState.failedGuesses).toBe(10);
    expect(seen.phoneState.sendsLast24h).toBe(2);
    expect(seen.phoneState.range.sends).toBe(2);

    const unlocked = await json<{ phoneState: PhoneState }>(await admin("POST", `/phones/${encodeURIComponent(phone)}/unlock`));
    expect(unlocked.phoneState).toMatchObject({ lockedUntil: null, failedGuesses: 0, sendsLast24h: 0 });
    const code = await requestCode(sms, phone);
    expect((await post("/v1/auth/sms-login", { phone, code })).status).toBe(200);

    const row = await waitForAudit((r) => r.type === "admin.phone_unlocked");
    expect(row.actor).toMatch(/^key:/);
    expect(row.phone_mask).toMatch(/\*\*\*\*/);
    await waitForAudit((r) => r.type === "phone.locked");
  });

  it("accepts the phone in any form parsePhone does, and refuses what is not a phone", async () => {
    const national = "13800138000";
    expect((await admin("GET", `/phones/${national}`)).status).toBe(200);
    expect((await admin("GET", "/phones/not-a-phone")).status).toBe(400);
  });

  it("lists a blocked range with why and until when, and lifts it: the range sends again", async () => {
    const range = freshRange();
    for (let i = 0; i < 20; i += 1) await post("/v1/codes", { phone: phoneIn(range, i), purpose: "login" });
    expect((await post("/v1/codes", { phone: phoneIn(range, 100), purpose: "login" })).status).toBe(429);

    const full = `+86${range}`;
    let listed: { ranges: { range: string; blockedUntil: string; reason: string; sends: number }[] } = { ranges: [] };
    for (let i = 0; i < 200 && !listed.ranges.some((r) => r.range === full); i += 1) {
      listed = await json(await admin("GET", "/ranges/blocked"));
      await new Promise((done) => setTimeout(done, 50));
    }
    const entry = listed.ranges.find((r) => r.range === full)!;
    expect(entry.reason).toBe("low_conversion");
    expect(entry.sends).toBe(20);
    expect(Date.parse(entry.blockedUntil) - Date.now()).toBeGreaterThan(11.9 * 3600_000);

    const lifted = await admin("DELETE", `/ranges/${encodeURIComponent(full)}/block`);
    expect(await json(lifted)).toEqual({ range: full, lifted: true });
    expect((await post("/v1/codes", { phone: phoneIn(range, 101), purpose: "login" })).status).toBe(202);
    const after = await json<typeof listed>(await admin("GET", "/ranges/blocked"));
    expect(after.ranges.some((r) => r.range === full)).toBe(false);
    expect(await json(await admin("DELETE", `/ranges/${encodeURIComponent(full)}/block`))).toEqual({ range: full, lifted: false });
    expect((await admin("DELETE", "/ranges/abc/block")).status).toBe(400);
    await waitForAudit((r) => r.type === "admin.range_unblocked" && String(r.detail).includes(full));
  });

  it("gives today's budget, spent and left", async () => {
    const before = await json<{ budget: number; spent: number; left: number; day: string }>(await admin("GET", "/budget"));
    expect(before.day).toBe(new Date().toISOString().slice(0, 10));
    await requestCode(sms, uniquePhone());
    const after = await json<typeof before>(await admin("GET", "/budget"));
    expect(after.spent).toBe(before.spent + 1);
    expect(after.left).toBe(after.budget - after.spent);
  });
});
