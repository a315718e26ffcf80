/**
 * Per-phone and per-client Durable Object state is deleted by alarms once its windows pass, so
 * storage holds only numbers and addresses seen recently, not every one ever seen.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ageClient, ageRange, clientGuardOf, freshRange, phoneGuardOf, phoneIn, storedKeys } from "../support/attacks";
import { captureSms, post, requestCode, uniqueIp, wrongCode } from "../support/helpers";

const sms = captureSms();

/** The object's alarm time, waiting briefly: the objects schedule it without awaiting it. */
async function alarmOf(stub: DurableObjectStub): Promise<number | null> {
  // Up to ~2 s: the alarm is set after the call returns (a slow CI machine takes its time).
  for (let i = 0; i < 200; i += 1) {
    const at = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    if (at !== null) return at;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return null;
}

describe("ClientGuard cleanup", () => {
  it("schedules an alarm on the first hit and deletes everything once the hour has passed", async () => {
    const ip = uniqueIp();
    const stub = clientGuardOf(ip);
    expect((await post("/v1/codes", { phone: phoneIn(freshRange(), 1), purpose: "login" }, { ip })).status).toBe(202);
    expect(await storedKeys(stub)).toEqual(["send"]);
    const at = await alarmOf(stub);
    expect(at).toBeGreaterThan(Date.now() + 3500_000);

    await ageClient(ip, 3600_000 + 60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedKeys(stub)).toEqual([]);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
  });

  it("keeps counts still inside the hour and comes back for them", async () => {
    const ip = uniqueIp();
    const stub = clientGuardOf(ip);
    await post("/v1/codes", { phone: phoneIn(freshRange(), 2), purpose: "login" }, { ip });
    await alarmOf(stub);
    await ageClient(ip, 30 * 60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedKeys(stub)).toEqual(["send"]);
    expect(await alarmOf(stub)).not.toBeNull();
    await ageClient(ip, 31 * 60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedKeys(stub)).toEqual([]);
  });
});

describe("PhoneGuard cleanup", () => {
  it("deletes every phone of a range, the range statistics and the alarm once all windows have passed", async () => {
    const range = freshRange();
    const phones = [1, 2, 3, 4, 5].map((line) => phoneIn(range, line));
    for (const phone of phones) await requestCode(sms, phone);
    // One verified (token issued), one locked out of guesses, the others just sent.
    const verified = await post("/v1/codes/verify", { phone: phones[0], purpose: "login", code: sms.lastCode(phones[0]!) });
    expect(verified.status).toBe(200);
    const code = sms.lastCode(phones[1]!);
    for (let i = 0; i < 5; i += 1) await post("/v1/codes/verify", { phone: phones[1], purpose: "login", code: wrongCode(code) });

    const stub = phoneGuardOf(phones[0]!);
    expect((await storedKeys(stub)).sort()).toEqual([...phones.map((p) => `phone:${p}`), "range"].sort());
    expect(await alarmOf(stub)).not.toBeNull();

    // Two hours on: codes, tokens and the range's hour are gone, but the 24-hour send caps stay.
    await ageRange(phones[0]!, 2 * 3600_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const kept = await runInDurableObject(stub, (_instance, state) =>
      state.storage.kv.get<{ codes: object; tokens: object; sends: number[] }>(`phone:${phones[0]}`),
    );
    expect(kept).toMatchObject({ codes: {}, tokens: {} });
    expect(kept!.sends).toHaveLength(1);
    expect(await storedKeys(stub)).not.toContain("range");
    expect(await alarmOf(stub)).not.toBeNull();

    // A day on: nothing is left, and no alarm either.
    await ageRange(phones[0]!, 23 * 3600_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await storedKeys(stub)).toEqual([]);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
  });

  it("keeps a lock until it ends, then forgets the phone", async () => {
    const range = freshRange();
    const phone = phoneIn(range, 7);
    const stub = phoneGuardOf(phone);
    for (let round = 0; round < 2; round += 1) {
      if (round > 0) await ageRange(phone, 61_000);
      const code = await requestCode(sms, phone);
      for (let i = 0; i < 5; i += 1) await post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(code) });
    }
    const locked = () => runInDurableObject(stub, (_instance, state) => state.storage.kv.get<{ lockedUntil?: number }>(`phone:${phone}`)?.lockedUntil);
    expect(await locked()).toBeGreaterThan(Date.now());

    await ageRange(phone, 30 * 60_000);
    await runDurableObjectAlarm(stub);
    expect(await locked()).toBeGreaterThan(Date.now());

    await ageRange(phone, 24 * 3600_000);
    await runDurableObjectAlarm(stub);
    expect(await storedKeys(stub)).toEqual([]);
  });

  it("starts a new alarm when a cleaned-up object is used again", async () => {
    const phone = phoneIn(freshRange(), 9);
    const stub = phoneGuardOf(phone);
    await requestCode(sms, phone);
    await alarmOf(stub);
    await ageRange(phone, 25 * 3600_000);
    await runDurableObjectAlarm(stub);
    expect(await storedKeys(stub)).toEqual([]);

    await requestCode(sms, phone);
    expect(await alarmOf(stub)).not.toBeNull();
  });
});
