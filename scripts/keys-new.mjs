#!/usr/bin/env node
// Prints a fresh Ed25519 signing key for JWT_PRIVATE_KEYS (docs/tokens.md): a private JWK with a
// kid, as a one-element JSON array ready for `wrangler secret put JWT_PRIVATE_KEYS --env production`.
// To rotate, put the new key FIRST in the existing array (it signs; the old one still verifies),
// and remove the old key once every token it signed has expired (ACCESS_TOKEN_TTL_SECONDS).
// `--key` prints only the JWK object, for adding to an existing array by hand.
import { generateKeyPairSync, randomBytes } from "node:crypto";

const { privateKey } = generateKeyPairSync("ed25519");
const { kty, crv, x, d } = privateKey.export({ format: "jwk" });
const kid = `${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`;
const jwk = { kty, crv, kid, x, d };
console.log(JSON.stringify(process.argv.includes("--key") ? jwk : [jwk]));
