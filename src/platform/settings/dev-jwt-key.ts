/**
 * The built-in development signing key (public knowledge: it is in this file). Development and
 * tests sign with it when JWT_PRIVATE_KEYS is unset; production refuses it by its kid prefix and
 * its value (settings/tokens.ts). No imports, so the Node test (e2e/jwks.test.ts) can load it.
 */
export const DEV_KID_PREFIX = "dev-only-";

export interface PrivateJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  d: string;
  kid: string;
}

export const DEV_JWT_KEY: PrivateJwk = {
  kty: "OKP",
  crv: "Ed25519",
  kid: `${DEV_KID_PREFIX}ed25519-1`,
  x: "C6OWuDzk9-wI8-QSPQUAFWuEO63VLFIC_ERkdDr2uAU",
  d: "7XWFioJP2UD7CgSnQ7no7T9q_BbQnkhDvqlPxR7Ehf0",
};
