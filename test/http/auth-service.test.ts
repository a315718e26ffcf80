import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { captureSms, post, signIn } from "../support/helpers";

/**
 * A second Worker (vitest.config.ts, "downstream") binds this Worker's AuthService entrypoint with
 * a service binding and verifies bearer tokens over RPC, as docs/tokens.md shows.
 */
const sms = captureSms();

const downstream = (token: string, checkRevoked = false) =>
  env.DOWNSTREAM.fetch(`http://downstream/${checkRevoked ? "?checkRevoked=1" : ""}`, { headers: { Authorization: `Bearer ${token}` } });

describe("AuthService over a service binding", () => {
  it("verifies a live access token: user, session and phone", async () => {
    const user = await signIn(sms);
    const response = await downstream(user.token, true);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, userId: user.user.id, phone: user.phone });
    expect(typeof body.sessionId).toBe("string");
  });

  it("refuses junk and a token of an ended session when asked to check revocation", async () => {
    expect(await (await downstream("not-a-token")).json()).toEqual({ ok: false, code: "invalid_token" });
    const user = await signIn(sms);
    await post("/v1/auth/logout", undefined, { token: user.token });
    // Without checkRevoked: signature and expiry only (zero I/O), so still valid until it expires.
    expect(await (await downstream(user.token)).json()).toMatchObject({ ok: true });
    expect(await (await downstream(user.token, true)).json()).toEqual({ ok: false, code: "session_ended" });
  });
});
