import * as z from "zod/mini";
import { DEV_JWT_KEY, DEV_KID_PREFIX, type PrivateJwk } from "./dev-jwt-key";
import { addIssue, int, preprocess } from "./parse";

export { DEV_JWT_KEY, type PrivateJwk };

/**
 * Settings of access tokens, refresh tokens and sessions (docs/tokens.md).
 *
 * JWT_PRIVATE_KEYS is a secret: a JSON array of private Ed25519 JWKs (`npm run keys:new` prints
 * one). The first key signs; every key is published at /.well-known/jwks.json and verifies, so a
 * key is rotated by adding the new one first and removing the old one later. Development and
 * tests fall back to DEV_JWT_KEY below, whose `kid` prefix makes production refuse it.
 */

const base64url = (length: number) => z.string().check(z.regex(new RegExp(`^[A-Za-z0-9_-]{${length}}$`), `must be ${length} base64url characters`));

const privateJwk = z.object({
  kty: z.literal("OKP", { error: 'kty must be "OKP"' }),
  crv: z.literal("Ed25519", { error: 'crv must be "Ed25519"' }),
  // 32-byte Ed25519 keys: 43 base64url characters without padding.
  x: base64url(43),
  d: base64url(43),
  kid: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, "kid must be 1–64 characters of A-Z a-z 0-9 . _ -")),
});

const keyList = preprocess(
  (v) => {
    if (v === undefined || v === "") return undefined;
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return "not JSON";
    }
  },
  z.optional(
    z.array(privateJwk, { error: "must be a JSON array of private Ed25519 JWKs (npm run keys:new prints one)" }).check(
      z.minLength(1, "must hold at least one key"),
      z.refine((keys) => new Set(keys.map((k) => k.kid)).size === keys.length, "every key needs its own kid"),
    ),
  ),
);

export const tokenSettings = {
  JWT_PRIVATE_KEYS: keyList,
  JWT_ISSUER: z._default(z.string().check(z.minLength(1), z.maxLength(256)), "edge-phone-auth"),
  JWT_AUDIENCE: z._default(z.string().check(z.minLength(1), z.maxLength(256)), "edge-phone-auth"),
  ACCESS_TOKEN_TTL_SECONDS: int(900, 60, 86400),
  REFRESH_REUSE_GRACE_SECONDS: int(10, 1, 300),
  SESSIONS_PER_USER: int(10, 1, 1000),
  SESSION_MAX_AGE_SECONDS: int(90 * 86400, 300, 5 * 365 * 86400),
  REAUTH_WINDOW_SECONDS: int(600, 60, 86400),
};

/**
 * The signing keys: the given ones, or the development key outside production. In production a
 * missing key set and the development key are refused (the setting is named, never a value).
 */
export function signingKeys(cfg: { ENVIRONMENT: string; JWT_PRIVATE_KEYS?: PrivateJwk[] | undefined }, payload: z.core.ParsePayload): PrivateJwk[] {
  const keys = cfg.JWT_PRIVATE_KEYS;
  if (cfg.ENVIRONMENT !== "production") return keys ?? [DEV_JWT_KEY];
  if (!keys) {
    addIssue(payload, "missing; run `npm run keys:new`, then `wrangler secret put JWT_PRIVATE_KEYS --env production`", ["JWT_PRIVATE_KEYS"]);
    return [];
  }
  if (keys.some((k) => k.kid.startsWith(DEV_KID_PREFIX) || k.d === DEV_JWT_KEY.d)) {
    addIssue(payload, "the development key is refused in production; run `npm run keys:new`", ["JWT_PRIVATE_KEYS"]);
  }
  return keys;
}
