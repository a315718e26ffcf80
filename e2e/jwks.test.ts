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
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createRemoteJWKSet, errors, generateKeyPair, importJWK, jwtVerify, SignJWT } from "jose";
import { DEV_JWT_KEY } from "../src/platform/settings/dev-jwt-key.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const READY_TIMEOUT_MS = 90_000;
const ISSUER = "edge-phone-auth";
const AUDIENCE = "edge-phone-auth";

let wrangler: ChildProcess | undefined;
let log = "";
let base = "";
let scratch = "";

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

before(async () => {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${port}`;
  scratch = mkdtempSync(join(tmpdir(), "jwks-wrangler-"));
  wrangler = spawn(
    process.execPath,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      scratch,
      "--show-interactive-dev-session=false",
      "--var",
      "ENVIRONMENT:development",
    ],
    { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" } },
  );
  wrangler.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  wrangler.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  // The local D1 needs the tables, as `npm run dev` does before starting.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (wrangler.exitCode !== null) assert.fail(`wrangler dev exited with ${wrangler.exitCode}:\n${log}`);
    try {
      await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) assert.fail(`wrangler dev was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${log}`);
    await new Promise((done) => setTimeout(done, 250));
  }
});

after(async () => {
  const child = wrangler;
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, name);
      } catch {
        // Already gone.
      }
    };
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    signal("SIGKILL");
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function migrate(): Promise<void> {
  const child = spawn(
    process.execPath,
    [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "d1", "migrations", "apply", "DB", "--local", "--persist-to", scratch],
    {
      cwd: ROOT,
      stdio: "ignore",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    },
  );
  const code = await new Promise<number | null>((done) => child.once("exit", done));
  assert.equal(code, 0, "wrangler d1 migrations apply failed");
}

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
    code = [...log.matchAll(/"sms\.console","to":"([^"]+)","purpose":"login","code":"(\d+)"/g)].filter((m) => m[1] === phone).at(-1)?.[2];
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
  await migrate();
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
