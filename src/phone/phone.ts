// The "mobile" metadata of libphonenumber-js knows only mobile number ranges, so isValid() already
// rejects fixed lines and it is smaller than the "max" build. metadata.json is that metadata less
// the display formats, which nothing here uses (scripts/phone-metadata.mjs; −9 KiB gzip).
import { type MetadataJson, parsePhoneNumberFromString as parseWith } from "libphonenumber-js/core";
import { ApiError } from "../http/errors/api-error";
import metadataJson from "./metadata.json";

const metadata = metadataJson as unknown as MetadataJson;
const parsePhoneNumberFromString = (text: string, country?: "CN") => (country ? parseWith(text, country, metadata) : parseWith(text, metadata));

export interface Phone {
  /** E.164, e.g. +8613800138000: the only form stored, keyed and answered. */
  e164: string;
  /** ISO 3166 alpha-2 region, e.g. CN. */
  country: string;
  countryCallingCode: string;
  nationalNumber: string;
}

/**
 * Parses E.164 (`+8613800138000`, `008613800138000`) or a mainland national number
 * (`13800138000`, taken as +86), tolerating spaces, dashes and dots. Throws 400 invalid_phone for
 * anything that is not a mobile-capable number.
 */
export function parsePhone(input: string): Phone {
  const compact = input.replace(/[\s\-.()]/g, "");
  if (!/^\+?\d{4,20}$/.test(compact)) throw new ApiError("invalid_phone");
  const parsed = parsePhoneNumberFromString(compact, "CN");
  if (!parsed?.isValid() || !parsed.country) throw new ApiError("invalid_phone");
  const type = parsed.getType();
  if (type !== "MOBILE" && type !== "FIXED_LINE_OR_MOBILE") throw new ApiError("invalid_phone");
  return {
    e164: parsed.number,
    country: parsed.country,
    countryCallingCode: parsed.countryCallingCode,
    nationalNumber: parsed.nationalNumber,
  };
}

/**
 * The number range a phone belongs to: country code plus all but the last four national digits
 * (+86 138 0013 for +8613800138000), so each range holds up to 10,000 numbers. Fraud statistics
 * are kept per range, and the range also keys the Durable Object holding its phones' state.
 */
export function numberRange(phone: Phone): string {
  const keep = Math.max(1, phone.nationalNumber.length - 4);
  return `+${phone.countryCallingCode}${phone.nationalNumber.slice(0, keep)}`;
}

/**
 * +86138****8000: enough to follow one number through the logs, not enough to text it. Long
 * national numbers keep 3 leading and 4 trailing digits; shorter ones (e.g. Hong Kong's 8) keep
 * only the last 2, so at least half of the digits are always hidden.
 */
export function maskPhone(phone: Phone | string): string {
  // A parsed Phone (every request path) is masked as is; a stored E.164 string is parsed first.
  const parsed = typeof phone === "string" ? parsePhoneNumberFromString(phone) : phone;
  if (!parsed) return "+****";
  const national = parsed.nationalNumber;
  const long = national.length >= 11;
  return `+${parsed.countryCallingCode}${long ? national.slice(0, 3) : ""}****${national.slice(long ? -4 : -2)}`;
}
