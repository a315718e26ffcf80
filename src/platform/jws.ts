import { fromBase64Url, toBase64Url, utf8 } from "./crypto";

/**
 * JSON Web Tokens in compact JWS form (RFC 7515, RFC 7519) over WebCrypto, for the two algorithms
 * this service meets: EdDSA (Ed25519; our access tokens) and RS256 (Cloudflare Access's
 * assertions, src/admin/access.ts).
 *
 * Why not jose: it was 8.4 KB of a 144 KB gzip bundle (docs/benchmark.md) for one serialization
 * and two algorithms that WebCrypto already signs and verifies. What jose decided for us is written
 * out here and tested on its own (test/attacks/jwt.test.ts feeds this verifier tokens made with
 * jose, including every malformed and misleading kind we know of; the tests verify our tokens with
 * jose in turn).
 *
 * The rules, strictest reading where the RFCs leave a choice:
 * - the header's `alg` must be the one algorithm the caller expects (no `none`, no HMAC keyed with
 *   a public key, no algorithm picked by the token);
 * - a `crit` header is refused: this verifier understands no extension (RFC 7515 §4.1.11);
 * - `typ`, when the caller asks for one, compares case-insensitively, "application/" optional
 *   (RFC 7515 §4.1.9), as jose does;
 * - the key is found by `kid`; a token without one is refused (every issuer we trust sets it);
 * - the signature is checked before any claim is read, so a forged token learns nothing from
 *   which claim failed;
 * - `iss` must equal, `aud` must equal or contain the expected value; `exp` is required and a
 *   token is expired from its `exp` second on; `nbf` and `iat`, when present, must be numbers and
 *   `nbf` must have passed. No clock tolerance: both sides of every check here are our clock or
 *   Cloudflare's.
 */

export type JwsAlgorithm = "EdDSA" | "RS256";

const ALGORITHMS: Record<JwsAlgorithm, { name: string; hash?: string }> = {
  EdDSA: { name: "Ed25519" },
  RS256: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
};

/** The most a verifier reads: far above an Access assertion (~1 KB) or ours (~0.5 KB). */
const MAX_TOKEN_LENGTH = 16_384;

type JsonObject = Record<string, unknown>;

export function importJwk(jwk: JsonWebKey, algorithm: JwsAlgorithm, use: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey("jwk", jwk, ALGORITHMS[algorithm], false, [use]);
}

const encodeJson = (value: JsonObject) => toBase64Url(utf8(JSON.stringify(value)));

/** Signs `payload` as a compact JWS; `header` gets `alg` first, as is customary. */
export async function signJwt(algorithm: JwsAlgorithm, key: CryptoKey, header: JsonObject, payload: JsonObject): Promise<string> {
  const input = `${encodeJson({ alg: algorithm, ...header })}.${encodeJson(payload)}`;
  const signature = await crypto.subtle.sign(ALGORITHMS[algorithm], key, utf8(input));
  return `${input}.${toBase64Url(signature)}`;
}

/** `malformed` and `signature` and `claims` all mean "not a token we accept"; `expired` is told apart. */
export type JwtProblem = "malformed" | "signature" | "claims" | "expired";
export type JwtResult = { ok: true; payload: JsonObject } | { ok: false; problem: JwtProblem };

export interface VerifyOptions {
  algorithm: JwsAlgorithm;
  /** The verification key with this `kid`, or undefined when there is none. May fetch (key rotation). */
  keyFor(kid: string): Promise<CryptoKey | undefined>;
  issuer: string;
  audience: string;
  /** The `typ` the header must carry, if any. */
  typ?: string;
  /** Claims that must be present besides `exp`. */
  required?: readonly string[];
  now?: number;
}

// fatal: invalid UTF-8 is an invalid token, not U+FFFD.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function decodeJson(part: string): JsonObject | undefined {
  const bytes = fromBase64Url(part);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(utf8Decoder.decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

const normalizedTyp = (typ: string) => typ.toLowerCase().replace(/^application\//, "");

async function signatureHolds(options: VerifyOptions, header: JsonObject, signingInput: string, signaturePart: string): Promise<boolean> {
  if (typeof header.kid !== "string") return false;
  const key = await options.keyFor(header.kid);
  const signature = fromBase64Url(signaturePart);
  if (!key || !signature) return false;
  try {
    return await crypto.subtle.verify(ALGORITHMS[options.algorithm], key, signature, utf8(signingInput));
  } catch {
    // A signature of the wrong length for the key: not a token of ours.
    return false;
  }
}

function claimsProblem(payload: JsonObject, options: VerifyOptions): JwtProblem | undefined {
  const { iss, aud, exp, nbf, iat } = payload;
  if (iss !== options.issuer) return "claims";
  if (!(aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience)))) return "claims";
  if (options.required?.some((claim) => payload[claim] === undefined)) return "claims";
  if (typeof exp !== "number" || (nbf !== undefined && typeof nbf !== "number") || (iat !== undefined && typeof iat !== "number")) return "claims";
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (typeof nbf === "number" && nbf > nowSeconds) return "claims";
  if (exp <= nowSeconds) return "expired";
  return undefined;
}

/** Verifies a compact JWS and its registered claims; never throws on what the token holds. */
export async function verifyJwt(token: string, options: VerifyOptions): Promise<JwtResult> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, problem: "malformed" };
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, problem: "malformed" };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  if (!header || header.alg !== options.algorithm || header.crit !== undefined) return { ok: false, problem: "malformed" };
  if (options.typ !== undefined && (typeof header.typ !== "string" || normalizedTyp(header.typ) !== normalizedTyp(options.typ))) {
    return { ok: false, problem: "malformed" };
  }
  if (!(await signatureHolds(options, header, `${headerPart}.${payloadPart}`, signaturePart))) return { ok: false, problem: "signature" };
  const payload = decodeJson(payloadPart);
  if (!payload) return { ok: false, problem: "malformed" };
  const problem = claimsProblem(payload, options);
  return problem ? { ok: false, problem } : { ok: true, payload };
}
