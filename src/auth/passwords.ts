import { ApiError } from "../http/errors/api-error";
import type { Locale } from "../http/locale";
import type { Phone } from "../phone/phone";
import { fromBase64Url, randomBytes, timingSafeEqual, toBase64Url, utf8 } from "../platform/crypto";

/**
 * Password hashing with WebCrypto PBKDF2-HMAC-SHA256 and a per-user random salt, stored as a
 * self-describing string `pbkdf2-sha256$<iterations>$<salt>$<hash>` so the cost can change later
 * (a login with an older cost rehashes, see needsRehash).
 *
 * 100,000 iterations is the most Cloudflare's production runtime allows: crypto.subtle.deriveBits
 * throws above it there, while the local runtime does not. The guard below makes a higher setting
 * fail here too, in tests, instead of in production.
 */
export const MAX_PBKDF2_ITERATIONS = 100_000;
export const PASSWORD_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;
const SCHEME = "pbkdf2-sha256";

interface ParsedHash {
  iterations: number;
  salt: Uint8Array<ArrayBuffer>;
  hash: Uint8Array<ArrayBuffer>;
}

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<ArrayBuffer> {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be 1..${MAX_PBKDF2_ITERATIONS} (Workers' production limit), got ${iterations}`);
  }
  const key = await crypto.subtle.importKey("raw", utf8(password.normalize("NFKC")), "PBKDF2", false, ["deriveBits"]);
  return crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BITS);
}

export async function hashPassword(password: string, iterations = PASSWORD_ITERATIONS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, iterations);
  return `${SCHEME}$${iterations}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

function parse(stored: string): ParsedHash | undefined {
  const [scheme, iterations, salt, hash] = stored.split("$");
  if (scheme !== SCHEME || !iterations || !salt || !hash) return undefined;
  const saltBytes = fromBase64Url(salt);
  const hashBytes = fromBase64Url(hash);
  if (!saltBytes || !hashBytes) return undefined;
  return { iterations: Number(iterations), salt: saltBytes, hash: hashBytes };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const actual = await derive(password, parsed.salt, parsed.iterations);
  return timingSafeEqual(actual, parsed.hash);
}

export function needsRehash(stored: string): boolean {
  return parse(stored)?.iterations !== PASSWORD_ITERATIONS;
}

// Checked against when the phone is unknown or has no password, so that such a login costs the
// same PBKDF2 run as a real one and the answer time says nothing about the account.
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(toBase64Url(randomBytes(16)));
  return dummyHash;
}

type Rule = "too_short" | "too_long" | "all_digits" | "contains_phone";

const RULES: Record<Rule, Record<Locale, string>> = {
  too_short: { "zh-CN": "密码至少 8 个字符", en: "use at least 8 characters" },
  too_long: { "zh-CN": "密码最多 64 个字符", en: "use at most 64 characters" },
  all_digits: { "zh-CN": "密码不能全是数字", en: "do not use only digits" },
  contains_phone: { "zh-CN": "密码不能包含手机号", en: "do not include your phone number" },
};

/** 400 weak_password naming the first rule the password breaks; `field` is the body field checked. */
export function assertStrongPassword(raw: string, phone: Phone, field: string): void {
  // Judged as it will be hashed (derive() normalises to NFKC): full-width "１２３４５６７８" is "12345678".
  const password = raw.normalize("NFKC");
  const length = [...password].length;
  let rule: Rule | undefined;
  if (length < 8) rule = "too_short";
  else if (length > 64) rule = "too_long";
  else if (/^\d+$/.test(password)) rule = "all_digits";
  else if (password.includes(phone.nationalNumber)) rule = "contains_phone";
  if (rule) throw new ApiError("weak_password", { detail: RULES[rule], details: [{ field, message: rule }] });
}
