import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ClientGuard } from "../../src/limits/client-guard";
import type { Buckets } from "../../src/limits/window";

// A fresh object per test. Time is moved by writing buckets for past minutes directly.
const guard = () => env.CLIENT_GUARD.get(env.CLIENT_GUARD.newUniqueId());
const HOUR = 3600_000;
/** The stored key of the per-minute bucket a time falls in (src/limits/window.ts). */
const minuteOf = (at: number) => String(Math.floor(at / 60_000));

const keys = (stub: DurableObjectStub<ClientGuard>) =>
  runInDurableObject(stub, (_instance: ClientGuard, state) => [...state.storage.kv.list()].map(([key]) => key).sort());
const read = (stub: DurableObjectStub<ClientGuard>, kind: string) =>
  runInDurableObject(stub, (_instance: ClientGuard, state) => state.storage.kv.get<Buckets>(kind));
const write = (stub: DurableObjectStub<ClientGuard>, kind: string, buckets: Buckets) =>
  runInDurableObject(stub, (_instance: ClientGuard, state) => state.storage.kv.put(kind, buckets));

async function alarmOf(stub: DurableObjectStub<ClientGuard>): Promise<number | null> {
  // Up to ~2 s: the alarm is set after the call returns (a slow CI machine takes its time).
  for (let i = 0; i < 200; i += 1) {
    const at = await runInDurableObject(stub, (_instance: ClientGuard, state) => state.storage.getAlarm());
    if (at !== null) return at;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return null;
}

describe("ClientGuard", () => {
  it("counts exactly `limit` of 30 parallel hits", async () => {
    const stub = guard();
    const results = await Promise.all(Array.from({ length: 30 }, () => stub.hit("verify", 10)));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    for (const r of results) if (!r.ok) expect(r.retryAfterMs).toBeGreaterThan(HOUR - 2 * 60_000);
    expect(Object.values((await read(stub, "verify")) ?? {}).reduce((a, n) => a + n, 0)).toBe(10);
    expect(await read(stub, "send")).toBeUndefined();
  });

  it("refuses with the wait until the oldest counted requests leave the hour", async () => {
    const stub = guard();
    const now = Date.now();
    const old = now - 50 * 60_000;
    await write(stub, "send", { [minuteOf(old)]: 3 });
    const refused = await stub.hit("send", 3);
    if (refused.ok) throw new Error("expected a refusal");
    const expected = Number(minuteOf(old)) * 60_000 + HOUR - now;
    expect(refused.retryAfterMs).toBeLessThanOrEqual(expected);
    expect(refused.retryAfterMs).toBeGreaterThan(expected - 5000);
    expect(await stub.hit("send", 4)).toEqual({ ok: true });
  });

  it("schedules its cleanup alarm on the first hit; the alarm keeps what is inside the hour and re-arms", async () => {
    const stub = guard();
    expect(await stub.hit("send", 10)).toEqual({ ok: true });
    expect(await alarmOf(stub)).toBeGreaterThan(Date.now() + HOUR - 60_000);
    const now = Date.now();
    const current = (await read(stub, "send"))!;
    await write(stub, "send", { ...current, [minuteOf(now - HOUR - 60_000)]: 5 });
    await write(stub, "verify", { [minuteOf(now - 2 * HOUR)]: 9 });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await keys(stub)).toEqual(["send"]);
    expect(await read(stub, "send")).toEqual(current);
    expect(await alarmOf(stub)).toBeGreaterThan(Date.now() + HOUR - 60_000);
  });

  it("alarm deletes an emptied object, alarm included, and the next hit arms it again", async () => {
    const stub = guard();
    await stub.hit("verify", 10);
    await alarmOf(stub);
    await write(stub, "verify", { [minuteOf(Date.now() - HOUR - 60_000)]: 1 });

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await keys(stub)).toEqual([]);
    expect(await runInDurableObject(stub, (_instance: ClientGuard, state) => state.storage.getAlarm())).toBeNull();

    await stub.hit("send", 10);
    expect(await alarmOf(stub)).not.toBeNull();
  });
});
