import { createLocalJWKSet, errors, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import type { Config } from "../platform/config";
import { randomBytes, toBase64Url } from "../platform/crypto";
import type { PrivateJwk } from "../platform/settings/tokens";

/**
 * Access tokens: compact JWS, EdDSA (Ed25519), `typ: JWT`, with the OpenID Connect phone claims.
 * Signed and verified with `jose` over WebCrypto. The keys are imported once per isolate (per key
 * set object, which the parsed config keeps for the isolate's life), so a sign-in pays one
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
  verifier: ReturnType<typeof createLocalJWKSet>;
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
      const signingKey = (await importJWK({ ...first, alg: "EdDSA" } as JWK, "EdDSA")) as CryptoKey;
      const publicKeys = keys.map(publicOf);
      return { kid: first.kid, signingKey, publicKeys, verifier: createLocalJWKSet({ keys: publicKeys as JWK[] }) };
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
  const payload: Record<string, unknown> = { sid: claims.sessionId };
  if (claims.phone) Object.assign(payload, { phone_number: claims.phone, phone_number_verified: true });
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid })
    .setIssuer(config.JWT_ISSUER)
    .setAudience(config.JWT_AUDIENCE)
    .setSubject(claims.userId)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(toBase64Url(randomBytes(16)))
    .sign(signingKey);
  return { token, expiresAt: exp * 1000 };
}

export type TokenProblem = "invalid_token" | "token_expired";

/** Checks signature, algorithm, issuer, audience and expiry. Says nothing about the session. */
export async function readAccessToken(config: Config, token: string): Promise<{ ok: true; claims: AccessClaims } | { ok: false; code: TokenProblem }> {
  // A compact JWS is three base64url parts; anything else (or anything huge) skips the crypto.
  if (token.length > 4096 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return { ok: false, code: "invalid_token" };
  try {
    const { verifier } = await keySet(config.JWT_PRIVATE_KEYS);
    const { payload } = await jwtVerify(token, verifier, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      algorithms: ["EdDSA"],
      typ: "JWT",
      requiredClaims: ["sub", "sid", "exp", "iat"],
    });
    const { sub, sid, phone_number: phone } = payload;
    if (typeof sub !== "string" || typeof sid !== "string") return { ok: false, code: "invalid_token" };
    return { ok: true, claims: { userId: sub, sessionId: sid, phone: typeof phone === "string" ? phone : null } };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, code: "token_expired" };
    if (error instanceof errors.JOSEError) return { ok: false, code: "invalid_token" };
    throw error;
  }
}
