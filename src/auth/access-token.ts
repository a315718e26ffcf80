import type { Config } from "../platform/config";
import { randomBytes, toBase64Url } from "../platform/crypto";
import { importJwk, signJwt, verifyJwt } from "../platform/jws";
import type { PrivateJwk } from "../platform/settings/tokens";

/**
 * Access tokens: compact JWS, EdDSA (Ed25519), `typ: JWT`, with the OpenID Connect phone claims.
 * Signed and verified over WebCrypto (src/platform/jws.ts). The keys are imported once per isolate
 * (per key set object, which the parsed config keeps for the isolate's life), so a sign-in pays one
 * Ed25519 signature and no key import.
 */

export interface AccessClaims {
  userId: string;
  sessionId: string;
  phone: string | null;
}

export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg: "EdDSA";
  use: "sig";
}

interface KeySet {
  kid: string;
  signingKey: CryptoKey;
  publicKeys: PublicJwk[];
  verifyingKeys: Map<string, CryptoKey>;
}

const keySets = new WeakMap<PrivateJwk[], Promise<KeySet>>();

function publicOf(key: PrivateJwk): PublicJwk {
  // Only the public members, spelled out: a private `d` can never slip into the JWKS.
  return { kty: key.kty, crv: key.crv, x: key.x, kid: key.kid, alg: "EdDSA", use: "sig" };
}

function keySet(keys: PrivateJwk[]): Promise<KeySet> {
  let set = keySets.get(keys);
  if (!set) {
    set = (async () => {
      const [first] = keys;
      if (!first) throw new Error("JWT_PRIVATE_KEYS is empty");
      const signingKey = await importJwk({ kty: first.kty, crv: first.crv, x: first.x, d: first.d }, "EdDSA", "sign");
      const publicKeys = keys.map(publicOf);
      const verifying = await Promise.all(
        publicKeys.map(async (key) => [key.kid, await importJwk({ kty: key.kty, crv: key.crv, x: key.x }, "EdDSA", "verify")] as const),
      );
      return { kid: first.kid, signingKey, publicKeys, verifyingKeys: new Map(verifying) };
    })();
    // A failed import is not cached: the next request tries again.
    set.catch(() => keySets.delete(keys));
    keySets.set(keys, set);
  }
  return set;
}

/** The public keys to publish at /.well-known/jwks.json. */
export async function publicKeys(config: Config): Promise<PublicJwk[]> {
  return (await keySet(config.JWT_PRIVATE_KEYS)).publicKeys;
}

/** Signs an access token; returns it with its expiry (Unix ms). */
export async function signAccessToken(config: Config, claims: AccessClaims, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
  const { kid, signingKey } = await keySet(config.JWT_PRIVATE_KEYS);
  const iat = Math.floor(now / 1000);
  const exp = iat + config.ACCESS_TOKEN_TTL_SECONDS;
  const payload = {
    sid: claims.sessionId,
    ...(claims.phone ? { phone_number: claims.phone, phone_number_verified: true } : {}),
    iss: config.JWT_ISSUER,
    aud: config.JWT_AUDIENCE,
    sub: claims.userId,
    iat,
    exp,
    jti: toBase64Url(randomBytes(16)),
  };
  const token = await signJwt("EdDSA", signingKey, { typ: "JWT", kid }, payload);
  return { token, expiresAt: exp * 1000 };
}

export type TokenProblem = "invalid_token" | "token_expired";

/** Checks signature, algorithm, issuer, audience and expiry. Says nothing about the session. */
export async function readAccessToken(config: Config, token: string): Promise<{ ok: true; claims: AccessClaims } | { ok: false; code: TokenProblem }> {
  // A compact JWS is three base64url parts; anything else (or anything huge) skips the crypto.
  if (token.length > 4096 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return { ok: false, code: "invalid_token" };
  const { verifyingKeys } = await keySet(config.JWT_PRIVATE_KEYS);
  const verified = await verifyJwt(token, {
    algorithm: "EdDSA",
    keyFor: async (kid) => verifyingKeys.get(kid),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    typ: "JWT",
    required: ["sub", "sid", "iat"],
  });
  if (!verified.ok) return { ok: false, code: verified.problem === "expired" ? "token_expired" : "invalid_token" };
  const { sub, sid, phone_number: phone } = verified.payload;
  if (typeof sub !== "string" || typeof sid !== "string") return { ok: false, code: "invalid_token" };
  return { ok: true, claims: { userId: sub, sessionId: sid, phone: typeof phone === "string" ? phone : null } };
}
