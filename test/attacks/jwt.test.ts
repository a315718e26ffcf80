import { env } from "cloudflare:workers";
import { decodeJwt, exportJWK, generateKeyPair, importJWK, type JWTPayload, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEV_JWT_KEY } from "../../src/platform/settings/tokens";
import { accessAssertion } from "../support/access";
import { captureSms, get, signIn, tamper } from "../support/helpers";

/**
 * Forged, altered and misleading JWTs against the verifier of src/platform/jws.ts. The tokens are
 * made with jose (a second implementation), so what is accepted here is what any standard signer
 * makes, and what is refused is refused whatever produced it.
 */
const sms = captureSms();

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const devKey = () => importJWK({ ...DEV_JWT_KEY, alg: "EdDSA" }, "EdDSA");

/** What a service bound to AuthService learns about a token (test/http/auth-service.test.ts). */
const verdict = async (token: string) =>
  (await (await env.DOWNSTREAM.fetch("http://downstream/", { headers: { Authorization: `Bearer ${token}` } })).json()) as { ok: boolean; code?: string };

/** A live session's claims, re-signed by jose with the dev key after `change`. */
async function resigned(change: (claims: JWTPayload, header: Record<string, unknown>) => void, key?: CryptoKey | Uint8Array) {
  const user = await signIn(sms);
  const claims = decodeJwt(user.token);
  const header: Record<string, unknown> = { alg: "EdDSA", typ: "JWT", kid: DEV_JWT_KEY.kid };
  change(claims, header);
  const token = await new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key ?? (await devKey()));
  return { user, token };
}

describe("access tokens: what is accepted", () => {
  it("a token jose signs with the configured key and the same claims is accepted, by the API and by AuthService", async () => {
    const { user, token } = await resigned(() => {});
    expect((await get("/v1/me", { token })).status).toBe(200);
    expect(await verdict(token)).toMatchObject({ ok: true, userId: user.user.id });
  });

  it("an audience list that contains ours is accepted", async () => {
    const { token } = await resigned((claims) => {
      claims.aud = ["someone-else", String(claims.aud)];
    });
    expect(await verdict(token)).toMatchObject({ ok: true });
  });
});

describe("access tokens: what is refused", () => {
  const refused = async (token: string, code = "invalid_token") => {
    expect(await verdict(token)).toEqual({ ok: false, code });
    expect((await get("/v1/me", { token })).status).toBe(401);
  };

  it("alg none, and a header that names another algorithm than the key's", async () => {
    const user = await signIn(sms);
    const [, payload] = user.token.split(".");
    await refused(`${b64({ alg: "none", typ: "JWT", kid: DEV_JWT_KEY.kid })}.${payload}.`);
    // The classic confusion: HMAC keyed with the public key, which anyone can read from the JWKS.
    const hs = await new SignJWT(decodeJwt(user.token))
      .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: DEV_JWT_KEY.kid })
      .sign(new TextEncoder().encode(DEV_JWT_KEY.x));
    await refused(hs);
    // The same signature under a header that claims another algorithm.
    const [, , signature] = user.token.split(".");
    await refused(`${b64({ alg: "RS256", typ: "JWT", kid: DEV_JWT_KEY.kid })}.${payload}.${signature}`);
  });

  it("a foreign key, even under our kid; an unknown kid; no kid", async () => {
    const foreign = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    await refused((await resigned(() => {}, foreign.privateKey)).token);
    await refused(
      (
        await resigned((_, header) => {
          header.kid = "k-unknown";
        })
      ).token,
    );
    await refused(
      (
        await resigned((_, header) => {
          delete header.kid;
        })
      ).token,
    );
  });

  it("another user's id, session or phone put into a signed token", async () => {
    const victim = await signIn(sms);
    const attacker = await signIn(sms);
    const [header, , signature] = attacker.token.split(".");
    const claims = { ...decodeJwt(attacker.token), sub: victim.user.id, sid: decodeJwt(victim.token).sid };
    await refused(`${header}.${b64(claims)}.${signature}`);
    await refused(`${header}.${b64({ ...decodeJwt(attacker.token), phone_number: victim.phone })}.${signature}`);
    await refused(`${header}.${attacker.token.split(".")[1]}.${tamper(signature!)}`);
  });

  it("a wrong issuer, audience or type; a critical extension", async () => {
    const changes: ((claims: JWTPayload, header: Record<string, unknown>) => void)[] = [
      (c) => {
        c.iss = "https://elsewhere.example";
      },
      (c) => {
        c.aud = "someone-else";
      },
      (c) => {
        c.aud = ["someone-else"];
      },
      (_, h) => {
        h.typ = "at+jwt";
      },
      (_, h) => {
        delete h.typ;
      },
      (_, h) => {
        // An extension jose itself understands (b64, RFC 7797); this verifier understands none.
        h.crit = ["b64"];
        h.b64 = true;
      },
    ];
    for (const change of changes) {
      await refused((await resigned(change)).token);
    }
  });

  it("missing or mistyped claims", async () => {
    for (const claim of ["sub", "sid", "exp", "iat"] as const) {
      await refused(
        (
          await resigned((c) => {
            delete c[claim];
          })
        ).token,
      );
    }
    await refused(
      (
        await resigned((c) => {
          (c as Record<string, unknown>).exp = String(c.exp);
        })
      ).token,
    );
  });

  it("an expired token says so; a token not yet valid is refused", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(
      (
        await resigned((c) => {
          c.exp = now;
        })
      ).token,
      "token_expired",
    );
    await refused(
      (
        await resigned((c) => {
          c.nbf = now + 120;
        })
      ).token,
    );
  });

  it("malformed tokens get a 401, never a 5xx", async () => {
    const user = await signIn(sms);
    const [header, payload, signature] = user.token.split(".") as [string, string, string];
    for (const token of [
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.${signature}`,
      `${header}.${b64("[1,2,3]")}.${signature}`,
      `${header}.${b64("not json")}.${signature}`,
      `${b64("[]")}.${payload}.${signature}`,
      `${header}.${payload}.${signature.slice(0, 20)}`,
      `${header}.${payload}.${signature}${signature}`,
      `${header}.${payload}.A`,
      `.${payload}.${signature}`,
      `${header}.${payload}.${"A".repeat(5000)}`,
    ]) {
      await refused(token);
    }
  });
});

describe("Cloudflare Access assertions: keys fetched and refetched", () => {
  const team = "keys-team.cloudflareaccess.com";
  const aud = "b".repeat(64);
  const accessEnv = { ADMIN_API_KEYS: "", ACCESS_TEAM_DOMAIN: team, ACCESS_AUD: aud };
  const as = (jwt: string) => get("/v1/admin/budget", { env: accessEnv, headers: { "Cf-Access-Jwt-Assertion": jwt } });
  afterEach(() => vi.restoreAllMocks());

  it("refuses none/HS256/expired/wrong-issuer assertions; an unknown kid refetches once, then waits; a certs outage is a 401", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    // A symmetric key and an unreadable RSA key beside the real one: skipped, the real one still works.
    let certsAnswer: () => Response = () => Response.json({ keys: [{ kty: "oct", kid: "junk" }, { kty: "RSA", kid: "broken", n: "AA", e: "x" }, jwk] });
    const certs = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      if (new Request(input).url === `https://${team}/cdn-cgi/access/certs`) return certsAnswer();
      return new Response("unexpected", { status: 500 });
    });
    const sign = (change: (jwt: SignJWT) => SignJWT = (jwt) => jwt, kid = "k1") => change(accessAssertion({ team, aud, kid })).sign(privateKey);

    expect((await as(await sign())).status).toBe(200);
    const [, payload, signature] = (await sign()).split(".");
    expect((await as(`${b64({ alg: "none", kid: "k1" })}.${payload}.`)).status).toBe(401);
    expect((await as(`${b64({ alg: "HS256", kid: "k1" })}.${payload}.${signature}`)).status).toBe(401);
    expect((await as(await sign((jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 1)))).status).toBe(401);
    expect((await as(await sign((jwt) => jwt.setIssuer("https://evil.cloudflareaccess.com")))).status).toBe(401);
    expect((await as(await sign((jwt) => jwt.setNotBefore("2m")))).status).toBe(401);

    // Forged kids in parallel: at most one refetch, and none again within the cooldown.
    const before = certs.mock.calls.length;
    const forged = await Promise.all(Array.from({ length: 10 }, (_, i) => sign(undefined, `forged-${i}`)));
    expect((await Promise.all(forged.map(as))).map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(certs.mock.calls.length - before).toBeLessThanOrEqual(1);

    // The certs endpoint failing is a refusal, not an error page (another team: nothing cached).
    certsAnswer = () => new Response("down", { status: 503 });
    const down = "down-team.cloudflareaccess.com";
    const downJwt = await accessAssertion({ team: down, aud }).sign(privateKey);
    certs.mockImplementation(async (input) =>
      new Request(input).url === `https://${down}/cdn-cgi/access/certs` ? certsAnswer() : new Response("unexpected", { status: 500 }),
    );
    const calls = certs.mock.calls.length;
    const refused = await get("/v1/admin/budget", { env: { ...accessEnv, ACCESS_TEAM_DOMAIN: down }, headers: { "Cf-Access-Jwt-Assertion": downJwt } });
    expect(refused.status).toBe(401);
    expect(certs.mock.calls.length).toBeGreaterThan(calls);
  });
});
