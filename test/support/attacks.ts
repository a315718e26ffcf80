/**
 * Helpers for the attack tests: stubs of the limit objects, time travel that also moves the
 * per-minute bucket keys (test/time.ts `age` shifts timestamps only, which is all a phone's state
 * holds), and readers for the security event lines.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { clientKey } from "../../src/limits/client-key";
import type { captureSms } from "./helpers";
import { guardOf } from "./time";

export type Sms = ReturnType<typeof captureSms>;

const MINUTE = 60_000;

/** The PhoneGuard holding `phone` (its number range's object). */
export const phoneGuardOf = guardOf;

export function clientGuardOf(ip: string) {
  return env.CLIENT_GUARD.get(env.CLIENT_GUARD.idFromName(clientKey(ip)));
}

export function budgetObject() {
  return env.SMS_BUDGET.get(env.SMS_BUDGET.idFromName("global"));
}

const utcDay = (now = Date.now()) => new Date(now).toISOString().slice(0, 10);

/** Sets today's spend directly, as if `spent` SMS had gone out today (or on `day`). */
export async function setBudgetSpent(spent: number, day = utcDay()): Promise<void> {
  await runInDurableObject(budgetObject(), (_instance, state) => {
    state.storage.kv.put("today", { day, spent });
  });
}

export async function budgetSpent(): Promise<number> {
  return runInDurableObject(budgetObject(), (_instance, state) => {
    const today = state.storage.kv.get<{ day: string; spent: number }>("today");
    return today?.day === utcDay() ? today.spent : 0;
  });
}

/** Moves every timestamp and every per-minute bucket key back by `ms`. */
function shift(value: unknown, ms: number, key?: string): unknown {
  if (typeof value === "number" && value > 1_600_000_000_000) return value - ms;
  if (Array.isArray(value)) return value.map((v) => shift(v, ms));
  if (value && typeof value === "object") {
    const isBuckets = key === "sends" || key === "successes" || key === "send" || key === "verify";
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        // Bucket keys are minute numbers (Date.now() / 60 000); their values are counts.
        if (isBuckets && /^\d+$/.test(k)) return [String(Number(k) - Math.ceil(ms / MINUTE)), v];
        return [k, shift(v, ms, k)];
      }),
    );
  }
  return value;
}

/** As if `ms` had passed for every phone in `phone`'s range and for the range's statistics. */
export async function ageRange(phone: string, ms: number): Promise<void> {
  await runInDurableObject(phoneGuardOf(phone), (_instance, state) => {
    for (const [key, value] of [...state.storage.kv.list()]) state.storage.kv.put(key, shift(value, ms, key));
  });
}

/** As if `ms` had passed for the client address `ip` (its IPv4 address or IPv6 /64). */
export async function ageClient(ip: string, ms: number): Promise<void> {
  await runInDurableObject(clientGuardOf(ip), (_instance, state) => {
    for (const [key, value] of [...state.storage.kv.list()]) state.storage.kv.put(key, shift(value, ms, key));
  });
}

/** Every key the object holds (empty once cleaned up). */
export async function storedKeys(stub: DurableObjectStub): Promise<string[]> {
  return runInDurableObject(stub, (_instance, state) => [...state.storage.kv.list()].map(([key]) => key));
}

/** The events named `name` logged since the test file started. */
export function eventsNamed(sms: Sms, name: string): Record<string, unknown>[] {
  return sms.events().filter((e) => e.event === name);
}

/** Counts log events, so a test can ask how many appeared during one step. */
export function eventCounter(sms: Sms) {
  const start = sms.lines.length;
  return (name: string) =>
    sms.lines.slice(start).filter((line) => {
      try {
        return (JSON.parse(line) as { event?: unknown }).event === name;
      } catch {
        return false;
      }
    }).length;
}

/** A mainland mobile number in the range `+86<prefix7>`, e.g. prefix "1500013" → +8615000130000. */
export function phoneIn(prefix7: string, line: number): string {
  return `+86${prefix7}${String(line).padStart(4, "0")}`;
}

const RANGE_BASE = Math.floor(Math.random() * 30_000);
let rangeCounter = 0;
/** A range no other test (nor uniquePhone, which uses 139) touches: +86 150/151/152 xxxx, never the same twice in a file. */
export function freshRange(): string {
  rangeCounter += 1;
  const n = (RANGE_BASE + rangeCounter) % 30_000;
  return `${150 + Math.floor(n / 10_000)}${String(n % 10_000).padStart(4, "0")}`;
}
