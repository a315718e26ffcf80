import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PhoneGuard } from "../../src/limits/phone-guard";
import type { PhoneState } from "../../src/limits/phone-state";
import type { RangeState } from "../../src/limits/range";

// A fresh object per test: PhoneGuard does not care which range it is named after. Time is moved
// by writing stored state with past timestamps directly, not by test/support/time.ts's age().
const guard = () => env.PHONE_GUARD.get(env.PHONE_GUARD.newUniqueId());
const HOUR = 3600_000;
/** The stored key of the per-minute bucket a time falls in (src/limits/window.ts). */
const minuteOf = (at: number) => String(Math.floor(at / 60_000));
const DAY = 24 * HOUR;
const A = "+8613800138000";
const B = "+8613800138001";

const keys = (stub: DurableObjectStub<PhoneGuard>) =>
  runInDurableObject(stub, (_instance: PhoneGuard, state) => [...state.storage.kv.list()].map(([key]) => key).sort());
const read = <T>(stub: DurableObjectStub<PhoneGuard>, key: string) => runInDurableObject(stub, (_instance: PhoneGuard, state) => state.storage.kv.get<T>(key));
const write = (stub: DurableObjectStub<PhoneGuard>, entries: Record<string, unknown>) =>
  runInDurableObject(stub, (_instance: PhoneGuard, state) => {
    for (const [key, value] of Object.entries(entries)) state.storage.kv.put(key, value);
  });

/** The alarm time, waiting briefly: the object schedules it without awaiting it. */
async function alarmOf(stub: DurableObjectStub<PhoneGuard>): Promise<number | null> {
  // Up to ~2 s: the alarm is set after the call returns (a slow CI machine takes its time).
  for (let i = 0; i < 200; i += 1) {
    const at = await runInDurableObject(stub, (_instance: PhoneGuard, state) => state.storage.getAlarm());
    if (at !== null) return at;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return null;
}

/** A phone whose only state is a send `ago` ms in the past. */
function sentAgo(ago: number): PhoneState {
  const at = Date.now() - ago;
  return { codes: {}, sends: [at], lastSendAt: at, pending: {}, guessFailures: [], tokens: {}, loginFailures: [] };
}

describe("PhoneGuard", () => {
  it("gives exactly one of 20 parallel reserves for one phone; the others wait out the cooldown", async () => {
    const stub = guard();
    const results = await Promise.all(Array.from({ length: 20 }, () => stub.reserve(A, "login", { countForRange: true })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const winner = results.find((r) => r.ok);
    if (!winner?.ok) throw new Error("no reserve succeeded");
    for (const r of results) {
      if (r.ok) continue;
      expect(r.reason).toBe("cooldown");
      expect(r.retryAfterMs).toBeGreaterThan(50_000);
      expect(r.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    const state = await read<PhoneState>(stub, `phone:${A}`);
    expect(state?.sends).toHaveLength(1);
    expect(state?.codes.login?.id).toBe(winner.codeId);
    const range = await read<RangeState>(stub, "range");
    expect(Object.values(range?.sends ?? {})).toEqual([1]);
  });

  it("schedules its cleanup alarm on the first write, about an hour ahead", async () => {
    const stub = guard();
    expect(await runInDurableObject(stub, (_instance: PhoneGuard, state) => state.storage.getAlarm())).toBeNull();
    const before = Date.now();
    expect((await stub.reserve(A, "login", { countForRange: false })).ok).toBe(true);
    const at = await alarmOf(stub);
    expect(at).toBeGreaterThanOrEqual(before + HOUR);
    expect(at).toBeLessThanOrEqual(Date.now() + HOUR);
  });

  it("alarm prunes what ran out, deletes emptied phones and old range buckets, keeps the rest and re-arms", async () => {
    const stub = guard();
    await stub.reserve(B, "login", { countForRange: true });
    await alarmOf(stub);
    const now = Date.now();
    const liveRange = (await read<RangeState>(stub, "range"))!;
    await write(stub, {
      [`phone:${A}`]: { ...sentAgo(DAY + 1000), guessFailures: [now - 2 * HOUR] },
      range: { ...liveRange, sends: { ...liveRange.sends, [minuteOf(now - 2 * HOUR)]: 7 }, successes: { [minuteOf(now - 2 * HOUR)]: 3 } },
    });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await keys(stub)).toEqual([`phone:${B}`, "range"]);
    expect(await read<RangeState>(stub, "range")).toEqual({ sends: liveRange.sends, successes: {} });
    expect((await read<PhoneState>(stub, `phone:${B}`))?.sends).toHaveLength(1);
    const at = await alarmOf(stub);
    expect(at).toBeGreaterThan(Date.now() + HOUR - 60_000);
  });

  it("alarm keeps a lock, the burned code it holds back and a day-old send until each has run out", async () => {
    const stub = guard();
    await stub.reserve(A, "login", { countForRange: false });
    await alarmOf(stub);
    const now = Date.now();
    const burned = { id: "b", expiresAt: now - 1000, attempts: 5, status: "burned" };
    await write(stub, { [`phone:${A}`]: { ...sentAgo(23 * HOUR), lockedUntil: now + HOUR, codes: { login: burned } } });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await read<PhoneState>(stub, `phone:${A}`)).toMatchObject({ lockedUntil: now + HOUR, sends: [now - 23 * HOUR], codes: { login: burned } });
    expect(await alarmOf(stub)).not.toBeNull();
  });

  it("alarm deletes an emptied object, alarm included, and the next write arms it again", async () => {
    const stub = guard();
    await stub.reserve(A, "login", { countForRange: true });
    await alarmOf(stub);
    const old = Date.now() - DAY - 1000;
    await write(stub, { [`phone:${A}`]: sentAgo(DAY + 1000), range: { sends: { [minuteOf(old)]: 1 }, successes: {} } });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await keys(stub)).toEqual([]);
    expect(await runInDurableObject(stub, (_instance: PhoneGuard, state) => state.storage.getAlarm())).toBeNull();

    expect((await stub.reserve(A, "login", { countForRange: false })).ok).toBe(true);
    expect(await alarmOf(stub)).not.toBeNull();
  });

  it("reopenCode takes a range success back from the minute it was counted in, not the current one", async () => {
    // The success was counted a minute ago (its own bucket); none is in the current minute. Before
    // the fix, the take-back went to the current minute's bucket, found nothing, and was dropped.
    const stub = guard();
    const now = Date.now();
    const counted = now - 60_000;
    await write(stub, {
      [`phone:${A}`]: {
        ...sentAgo(90_000),
        codes: { login: { id: "c", expiresAt: now + 200_000, attempts: 0, status: "used", countsForRange: true, successCountedAt: counted } },
        tokens: { j: { purpose: "login", expiresAt: now + 500_000 } },
      },
      range: { sends: { [minuteOf(now - 90_000)]: 1 }, successes: { [minuteOf(counted)]: 1 } },
    });
    await stub.reopenCode(A, "login", "c", "j");
    const range = await read<RangeState>(stub, "range");
    expect(range?.successes).toEqual({});
    const phone = await read<PhoneState>(stub, `phone:${A}`);
    expect(phone?.codes.login?.status).toBe("active");
    expect(phone?.tokens).toEqual({});

    // The reopened code verifies again and is counted again, in the current minute.
    expect(await stub.checkCode(A, "login", "c", true)).toEqual({ ok: true });
    expect(Object.values((await read<RangeState>(stub, "range"))?.successes ?? {})).toEqual([1]);
  });

  it("answers every RPC with the same shapes as before", async () => {
    const stub = guard();
    const reserved = await stub.reserve(A, "register", { countForRange: false });
    if (!reserved.ok) throw new Error("refused");
    expect(reserved).toEqual({ ok: true, codeId: expect.any(String), replacesCode: false });
    expect(await stub.checkCode(A, "register", reserved.codeId, false)).toEqual({ ok: false, reason: "invalid", attemptsLeft: 4, lockedNow: false });
    expect(await stub.checkCode(A, "register", reserved.codeId, true, { jti: "j", expiresAt: Date.now() + 600_000 })).toEqual({ ok: true });
    expect(await stub.takeRegistration(A, "j")).toEqual({ ok: false, reason: "password_required" });
    expect(await stub.stagePassword(A, "j", "hash")).toEqual({ ok: true });
    expect(await stub.takeRegistration(A, "j")).toEqual({ ok: true, passwordHash: "hash" });
    expect(await stub.consumeToken(A, "j", "register")).toEqual({ ok: false, reason: "invalid" });
    await stub.restoreToken(A, "j", "register", Date.now() + 600_000, "hash");
    expect(await stub.takeRegistration(A, "j")).toEqual({ ok: true, passwordHash: "hash" });
    expect(await stub.passwordLogin(A, false)).toEqual({ ok: true, lockedNow: false });
    expect(await stub.passwordLogin(A, true)).toEqual({ ok: true, lockedNow: false });

    const second = await stub.reserve(B, "login", { countForRange: true });
    expect(second).toEqual({ ok: true, codeId: expect.any(String), replacesCode: false, rangeBlockedNow: false });
    if (!second.ok) throw new Error("refused");
    await stub.cancelSend(B, second.codeId, { countedForRange: true });
    expect(await read(stub, `phone:${B}`)).toBeUndefined();
    expect(await read(stub, "range")).toBeUndefined();
  });
});
