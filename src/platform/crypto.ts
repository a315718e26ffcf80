/** Small WebCrypto helpers; nothing here may use node:crypto (the Worker signs with crypto.subtle). */

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

// Hex and base64 are the engine's own (Uint8Array.prototype.toHex / toBase64, Uint8Array.fromBase64:
// TC39's base64 proposal, in V8 and so in workerd; types in ./uint8array-base64.d.ts). They run
// for every code, token, hashed phone and log tag; the string-building versions they replace showed
// in the sign-in's profile (docs/benchmark.md). test/unit/crypto.test.ts checks them against Buffer.
const viewOf = (bytes: ArrayBuffer | Uint8Array) => (bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));

/** Lower-case hex, two digits a byte. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return viewOf(bytes).toHex();
}

export function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  return viewOf(bytes).toBase64();
}

/** base64url without padding (RFC 4648 §5), as JWTs and our tokens use it. */
export function toBase64Url(bytes: ArrayBuffer | Uint8Array): string {
  return viewOf(bytes).toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Returns undefined instead of throwing on bad input: callers treat it as an invalid token. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  // The alphabet only, no padding: fromBase64 alone would also skip ASCII whitespace.
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    // "loose": an unpadded last chunk is fine and its spare bits are ignored, as atob did.
    return Uint8Array.fromBase64(text, { alphabet: "base64url", lastChunkHandling: "loose" });
  } catch {
    return undefined;
  }
}

export async function sha256(data: string | Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", typeof data === "string" ? utf8(data) : data);
}

export async function sha256Hex(data: string | Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(await sha256(data));
}

// Importing a key costs a round into the crypto backend; a Worker uses one or two secrets, so cache them.
const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string, hash: "SHA-256" | "SHA-1"): Promise<CryptoKey> {
  const id = `${hash}:${secret}`;
  let key = hmacKeys.get(id);
  if (!key) {
    key = crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash }, false, ["sign"]);
    hmacKeys.set(id, key);
  }
  return key;
}

export async function hmac(secret: string, message: string, hash: "SHA-256" | "SHA-1" = "SHA-256"): Promise<ArrayBuffer> {
  return crypto.subtle.sign("HMAC", await hmacKey(secret, hash), utf8(message));
}

/**
 * Constant-time equality of two secrets. workerd provides crypto.subtle.timingSafeEqual; it
 * throws on different lengths, so a length mismatch (not secret: all our digests have fixed
 * sizes) answers false first.
 */
export function timingSafeEqual(a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return crypto.subtle.timingSafeEqual(a, b);
}

/**
 * A string of `length` decimal digits, each uniformly distributed: 32-bit draws at or above the
 * largest multiple of 10^length are thrown away instead of taken modulo (which would favour low codes).
 */
export function randomDigits(length: number): string {
  const modulus = 10 ** length;
  const limit = Math.floor(0x1_0000_0000 / modulus) * modulus;
  const draw = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(draw);
    const value = draw[0]!;
    if (value < limit) return String(value % modulus).padStart(length, "0");
  }
}
