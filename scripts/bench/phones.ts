/**
 * Phone numbers: valid mainland mobiles, each used once, spread round-robin over `ranges` number
 * ranges. A range (+86 + the first 7 national digits, src/phone.ts numberRange) keys one PhoneGuard
 * Durable Object, so the count of ranges is the count of objects the run touches.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js/mobile";
import { BenchError } from "./common.ts";

/** One sign-in's caller: a fresh phone, and the CF-Connecting-IP it claims (none: the machine's own). */
export interface Client {
  phone: string;
  ip: string | undefined;
}

const MOBILE_PREFIXES = [
  "130",
  "131",
  "132",
  "133",
  "135",
  "136",
  "137",
  "138",
  "139",
  "150",
  "151",
  "152",
  "153",
  "155",
  "156",
  "157",
  "158",
  "159",
  "180",
  "181",
  "182",
  "183",
  "184",
  "185",
  "186",
  "187",
  "188",
  "189",
];

function isValidMobile(e164: string): boolean {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed?.isValid() || parsed.country !== "CN") return false;
  const type = parsed.getType();
  return type === "MOBILE" || type === "FIXED_LINE_OR_MOBILE";
}

/** A function that returns a fresh valid number on each call, the next range each time. */
export function phoneSource(rangeCount: number): () => string {
  const rand = (n: number) => Math.floor(Math.random() * n);
  const ranges: { range: string; next: number; used: number }[] = [];
  const seen = new Set<string>();
  for (let tries = 0; ranges.length < rangeCount; tries++) {
    if (tries > rangeCount * 20 + 1000) throw new BenchError(`could not find ${rangeCount} valid number ranges`);
    const range = `+86${MOBILE_PREFIXES[rand(MOBILE_PREFIXES.length)]}${String(rand(10000)).padStart(4, "0")}`;
    if (seen.has(range) || !isValidMobile(`${range}0000`)) continue;
    seen.add(range);
    ranges.push({ range, next: rand(10000), used: 0 });
  }
  let i = 0;
  return () => {
    for (let tries = 0; tries < ranges.length * 2; tries++) {
      const r = ranges[i++ % ranges.length]!;
      if (r.used >= 10000) continue;
      const phone = `${r.range}${String(r.next).padStart(4, "0")}`;
      r.next = (r.next + 1) % 10000;
      r.used++;
      if (isValidMobile(phone)) return phone;
    }
    throw new BenchError("ran out of fresh phone numbers: raise --ranges");
  };
}

/** 198.18.0.0/15 (RFC 2544, benchmarking): used only as a header value, never as a destination. */
export const clientIp = (i: number): string => `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`;
