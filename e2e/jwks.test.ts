/**
 * A Node backend verifying this Worker's access tokens with `jose` and the served JWKS, outside
 * workerd: exactly what docs/tokens.md tells a downstream team to do. Starts `wrangler dev`, signs
 * in over HTTP (the console provider prints the code), verifies the token against
 * /.well-known/jwks.json, and rejects a token signed by another key, an expired one and one for
 * another audience.
 *
 * `npm run test:node` runs it alone; `npm run test:browser` (and so .ci/run) runs every e2e test.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createRemoteJWKSet, errors, generateKeyPair, importJWK, jwtVerify, SignJWT } from "jose";
import { DEV_JWT_KEY } from "../src/platform/settings/dev-jwt-key.ts";
import { type DevServer, startDevServer } from "./support/dev-server.ts";

const READY_TIMEOUT_MS = 90_000;
const ISSUER = "edge-phone-auth";
const AUDIENCE = "edge-phone-auth";

let server: DevServer | undefined;
let base = "";

before(async () => {
  // The local D1 needs the tables, as `npm run dev` applies them before starting.
  server = await startDevServer({ label: "jwks", migrate: true });
  base = server.base;
});

after(async () => {
  await server?.stop();
});

/** Signs in over HTTP with a login code read from the dev log, as the README's curl session does. */
async function accessToken(): Promise<string> {
  const phone = `+86139${String(Date.now()).slice(-8)}`;
  const sent = await fetch(`${base}/v1/codes`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ phone, purpose: "login" }),
  });
  assert.equal(sent.status, 202, await sent.text());
  let code: string | undefined;
  for (let i = 0; i < 40 && !code; i++) {
    code = [...server!.log().matchAll(/"sms\.console","to":"([^"]+)","purpose":"login","code":"(\d+)"/g)].filter((m) => m[1] === phone).at(-1)?.[2];
    if (!code) await new Promise((done) => setTimeout(done, 100));
  }
  assert.ok(code, `no code in the dev log for ${phone}`);
  const login = await fetch(`${base}/v1/auth/sms-login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ phone, code }),
  });
  assert.equal(login.status, 200, await login.clone().text());
  return ((await login.json()) as { accessToken: string }).accessToken;
}

test("a Node backend verifies access tokens with jose and the served JWKS", { timeout: READY_TIMEOUT_MS + 60_000 }, async () => {
  const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
  const token = await accessToken();
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: ISSUER, audience: AUDIENCE, algorithms: ["EdDSA"] });
  assert.equal(protectedHeader.alg, "EdDSA");
  assert.equal(typeof payload.sub, "string");
  assert.equal(typeof payload.sid, "string");
  assert.equal(payload.phone_number_verified, true);

  // Signed by a key the JWKS does not hold (same kid even): refused.
  const { privateKey: otherKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const forged = await new SignJWT({ sid: "s" })
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: DEV_JWT_KEY.kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject("someone")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(otherKey);
  await assert.rejects(jwtVerify(forged, jwks, { issuer: ISSUER, audience: AUDIENCE }), errors.JWSSignatureVerificationFailed);

  // Signed by the served (development) key, but expired, or for another audience: refused.
  const devKey = await importJWK({ ...DEV_JWT_KEY, alg: "EdDSA" }, "EdDSA");
  const now = Math.floor(Date.now() / 1000);
  const sign = (audience: string, iat: number, exp: number) =>
    new SignJWT({ sid: "s" })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: DEV_JWT_KEY.kid })
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setSubject("someone")
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(devKey);
  await assert.rejects(jwtVerify(await sign(AUDIENCE, now - 3600, now - 1800), jwks, { issuer: ISSUER, audience: AUDIENCE }), errors.JWTExpired);
  await assert.rejects(jwtVerify(await sign("another-api", now, now + 300), jwks, { issuer: ISSUER, audience: AUDIENCE }), errors.JWTClaimValidationFailed);
  // The control: the same key, right audience, in date, verifies (so the refusals above are real).
  assert.ok(await jwtVerify(await sign(AUDIENCE, now, now + 300), jwks, { issuer: ISSUER, audience: AUDIENCE }));
});
