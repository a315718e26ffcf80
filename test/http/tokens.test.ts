import { env } from "cloudflare:workers";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { EVENT_SINKS } from "../../src/events/sinks";
import type { DomainEvent } from "../../src/events/types";
import { captureSms, type ErrorBody, get, json, post, type SignedInBody, signIn, tamper } from "../support/helpers";

const sms = captureSms();

// Domain events as the sinks see them (the tests share the Worker's isolate).
const events: DomainEvent[] = [];
const sink = (_scope: unknown, event: DomainEvent) => void events.push(event);
EVENT_SINKS.push(sink);
afterAll(() => void EVENT_SINKS.splice(EVENT_SINKS.indexOf(sink), 1));

const refresh = (refreshToken: string) => post("/v1/auth/refresh", { refreshToken });

describe("sign-in answers and access tokens", () => {
  it("answers both tokens with their expiries; the access token is an EdDSA JWT with the OIDC phone claims", async () => {
    const code = await (async () => {
      const phone = "+8613912340001";
      await post("/v1/codes", { phone, purpose: "login" });
      return { phone, code: sms.lastCode(phone) };
    })();
    const response = await post("/v1/auth/sms-login", code);
    const body = await json<SignedInBody>(response);
    expect(Object.keys(body).sort()).toEqual(["accessToken", "accessTokenExpiresAt", "isNewUser", "refreshToken", "refreshTokenExpiresAt", "user"]);
    expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const accessLeft = Date.parse(body.accessTokenExpiresAt) - Date.now();
    expect(accessLeft).toBeGreaterThan(890_000);
    expect(accessLeft).toBeLessThanOrEqual(900_000);
    expect(Date.parse(body.refreshTokenExpiresAt) - Date.now()).toBeGreaterThan(29 * 86400_000);

    expect(decodeProtectedHeader(body.accessToken)).toEqual({ alg: "EdDSA", typ: "JWT", kid: "dev-only-ed25519-1" });
    const jwks = await json<{ keys: Record<string, string>[] }>(await get("/.well-known/jwks.json"));
    const { payload } = await jwtVerify(body.accessToken, createLocalJWKSet(jwks as never), { issuer: "edge-phone-auth", audience: "edge-phone-auth" });
    const session = await env.DB.prepare("SELECT id FROM sessions WHERE user_id = ?").bind(body.user.id).first<{ id: string }>();
    expect(payload).toMatchObject({ sub: body.user.id, sid: session!.id, phone_number: code.phone, phone_number_verified: true });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(typeof payload.jti).toBe("string");
  });

  it("publishes the public key only, cacheable for minutes", async () => {
    const response = await get("/.well-known/jwks.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toMatch(/max-age=300/);
    const { keys } = await json<{ keys: Record<string, string>[] }>(response);
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]!).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
    expect(keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
  });

  it("publishes every configured key and signs with the first (rotation)", async () => {
    const second = {
      kty: "OKP",
      crv: "Ed25519",
      kid: "k2",
      x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
      d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    };
    const { DEV_JWT_KEY } = await import("../../src/platform/settings/tokens");
    const keys = JSON.stringify([second, DEV_JWT_KEY]);
    const jwks = await json<{ keys: { kid: string }[] }>(await get("/.well-known/jwks.json", { env: { JWT_PRIVATE_KEYS: keys } }));
    expect(jwks.keys.map((k) => k.kid)).toEqual(["k2", "dev-only-ed25519-1"]);
    // A token signed by the old key (the dev key) still verifies while it is listed.
    const user = await signIn(sms);
    expect((await get("/v1/me", { token: user.token, env: { JWT_PRIVATE_KEYS: keys } })).status).toBe(200);
  });

  it("refuses a tampered, a foreign and an expired-session access token", async () => {
    const user = await signIn(sms);
    const [h, p, s] = user.token.split(".");
    const tampered = `${h}.${p}.${tamper(s!)}`;
    for (const token of [tampered, `${h}.${p}.`, user.refreshToken]) {
      const response = await get("/v1/me", { token });
      expect(response.status).toBe(401);
      expect((await json<ErrorBody>(response)).error.code).toBe("unauthorized");
    }
  });
});

describe("refresh", () => {
  it("rotates: new tokens, the old refresh token spent", async () => {
    const user = await signIn(sms);
    const first = await refresh(user.refreshToken);
    expect(first.status).toBe(200);
    const next = await json<SignedInBody>(first);
    expect(next.refreshToken).not.toBe(user.refreshToken);
    expect(next.user.id).toBe(user.user.id);
    expect((await get("/v1/me", { token: next.accessToken })).status).toBe(200);
    // The successor refreshes in turn.
    expect((await refresh(next.refreshToken)).status).toBe(200);
  });

  it("a retry within the grace window gets the same successor", async () => {
    const user = await signIn(sms);
    const a = await json<SignedInBody>(await refresh(user.refreshToken));
    const b = await json<SignedInBody>(await refresh(user.refreshToken));
    expect(b.refreshToken).toBe(a.refreshToken);
    expect((await refresh(b.refreshToken)).status).toBe(200);
  });

  it("20 parallel refreshes with one token yield exactly one successor", async () => {
    const user = await signIn(sms);
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(user.refreshToken)));
    const bodies = await Promise.all(answers.map((r) => json<SignedInBody>(r)));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(bodies.map((b) => b.refreshToken)).size).toBe(1);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?").bind(user.user.id).first<{ n: number }>();
    expect(rows!.n).toBe(1);
    const spent = await env.DB.prepare("SELECT count(*) AS n FROM spent_refresh_tokens").first<{ n: number }>();
    expect(spent!.n).toBeGreaterThanOrEqual(1);
  });

  it("reuse after the grace window ends the whole session and says so", async () => {
    const user = await signIn(sms);
    const next = await json<SignedInBody>(await refresh(user.refreshToken));
    await env.DB.prepare("UPDATE spent_refresh_tokens SET spent_at = spent_at - 11000").run();
    const reuse = await refresh(user.refreshToken);
    expect(reuse.status).toBe(401);
    expect((await json<ErrorBody>(reuse)).error.code).toBe("invalid_refresh_token");
    // Both tokens of the session are dead, for this API at once.
    expect((await refresh(next.refreshToken)).status).toBe(401);
    expect((await get("/v1/me", { token: next.accessToken })).status).toBe(401);
    expect((await get("/v1/me", { token: user.token })).status).toBe(401);
    expect(events).toContainEqual(expect.objectContaining({ type: "session.reuse_detected", userId: user.user.id }));
    expect(events).toContainEqual(expect.objectContaining({ type: "session.ended", userId: user.user.id, reason: "reuse_detected" }));
  });

  it("a spent token whose successor was spent too is reuse, even within the grace window", async () => {
    const user = await signIn(sms);
    const second = await json<SignedInBody>(await refresh(user.refreshToken));
    expect((await refresh(second.refreshToken)).status).toBe(200);
    expect((await refresh(user.refreshToken)).status).toBe(401);
    expect((await get("/v1/me", { token: second.accessToken })).status).toBe(401);
  });

  it("refuses unknown and expired refresh tokens; the absolute lifetime caps the sliding expiry", async () => {
    expect((await refresh("A".repeat(43))).status).toBe(401);
    const user = await signIn(sms);
    await env.DB.prepare("UPDATE sessions SET max_expires_at = ? WHERE user_id = ?")
      .bind(Date.now() + 60_000, user.user.id)
      .run();
    const next = await json<SignedInBody>(await refresh(user.refreshToken));
    expect(Date.parse(next.refreshTokenExpiresAt)).toBeLessThanOrEqual(Date.now() + 60_000);
    await env.DB.prepare("UPDATE sessions SET max_expires_at = ? WHERE user_id = ?")
      .bind(Date.now() - 1, user.user.id)
      .run();
    expect((await refresh(next.refreshToken)).status).toBe(401);
    expect((await get("/v1/me", { token: next.accessToken })).status).toBe(401);
  });

  it("a grace setting under 1 second is refused by name", async () => {
    const response = await get("/healthz", { env: { REFRESH_REUSE_GRACE_SECONDS: "0" } });
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("REFRESH_REUSE_GRACE_SECONDS");
  });
});
