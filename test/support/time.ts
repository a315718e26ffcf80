import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { numberRange, parsePhone } from "../../src/phone/phone";

export function guardOf(phone: string) {
  return env.PHONE_GUARD.get(env.PHONE_GUARD.idFromName(numberRange(parsePhone(phone))));
}

/**
 * Moves every timestamp in a phone's Durable Object state back by `ms`, as if that much time had
 * passed: the object compares them with Date.now(), so this is time travel without fake timers
 * (which would not reach the object's clock).
 */
export async function age(phone: string, ms: number): Promise<void> {
  const shift = (value: unknown): unknown => {
    if (typeof value === "number" && value > 1_600_000_000_000) return value - ms;
    if (Array.isArray(value)) return value.map(shift);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shift(v)]));
    return value;
  };
  await runInDurableObject(guardOf(phone), (_instance, state) => {
    for (const key of [`phone:${phone}`, "range"]) {
      const data = state.storage.kv.get(key);
      if (data !== undefined) state.storage.kv.put(key, shift(data));
    }
  });
}

/** Polls until work the Worker left to waitUntil() is visible (bounded: fails after ~10 s, for a slow CI machine). */
export async function waitForBackground(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("background work did not finish");
}

/** How close to UTC midnight a "today" test may start (the longest of them takes a few seconds). */
const MIDNIGHT_MARGIN_MS = 30_000;

/**
 * For tests that set up "today" (the SMS budget's UTC day) and then expect it to hold: when UTC
 * midnight is less than MIDNIGHT_MARGIN_MS away, waits until just past it, so a run that happens to
 * start at 23:59:50 cannot see the day change under it. Use as `beforeEach(clearOfUtcMidnight, 60_000)`.
 */
export async function clearOfUtcMidnight(): Promise<void> {
  const midnight = new Date();
  midnight.setUTCHours(24, 0, 0, 0);
  const left = midnight.getTime() - Date.now();
  if (left < MIDNIGHT_MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, left + 1_000));
}
