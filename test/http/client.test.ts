import { exports } from "cloudflare:workers";
import { hc } from "hono/client";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { AppType, ErrorBody } from "../../src/index";
import { captureSms, uniqueIp, uniquePhone } from "../support/helpers";

/**
 * The typed client a front end gets from `hc<AppType>()` (docs/client.md), driven through the
 * Worker's own fetch. The type assertions are checked by `tsc --noEmit` (npm test): a route whose
 * types stop reaching the client, or turn into `any`, breaks the build.
 */

const sms = captureSms();

const client = hc<AppType>("http://localhost", {
  fetch: (input: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(new Request(input, init)),
  // A client address of its own per request, so per-address limits of other tests stay apart.
  headers: () => ({ "CF-Connecting-IP": uniqueIp() }),
});

type Purpose = "login" | "register" | "reset_password" | "change_phone" | "reauthenticate";
interface User {
  id: string;
  phone: string | null;
  nickname: string | null;
  avatarUrl: string | null;
  hasPassword: boolean;
  createdAt: string;
}

/** For a response that should have succeeded: the error it carries otherwise, typed. */
async function failure(response: { status: number; json(): Promise<ErrorBody> }): Promise<Error> {
  const { error } = await response.json();
  return new Error(`${response.status} ${error.code}: ${error.message}`);
}

describe("hc<AppType>: SMS login end to end", () => {
  it("sends a code, signs in, reads the user and signs out, with typed bodies", async () => {
    const phone = uniquePhone();

    const sent = await client.v1.codes.$post({ json: { phone, purpose: "login" } });
    if (!sent.ok) throw await failure(sent);
    expectTypeOf(sent.status).toEqualTypeOf<202>();
    const sentBody = await sent.json();
    expectTypeOf(sentBody).toEqualTypeOf<{ phone: string; purpose: Purpose; expiresIn: number; resendIn: number }>();
    expect(sentBody).toEqual({ phone, purpose: "login", expiresIn: 300, resendIn: 60 });

    const code = sms.lastCode(sentBody.phone);
    const login = await client.v1.auth["sms-login"].$post({ json: { phone, code } });
    if (!login.ok) throw await failure(login);
    const session = await login.json();
    expectTypeOf(session).toEqualTypeOf<{
      accessToken: string;
      accessTokenExpiresAt: string;
      refreshToken: string;
      refreshTokenExpiresAt: string;
      user: User;
      isNewUser: boolean;
    }>();
    expect(session.isNewUser).toBe(true);
    expect(session.user.phone).toBe(phone);

    const auth = { headers: { Authorization: `Bearer ${session.accessToken}` } };
    const me = await client.v1.me.$get({}, auth);
    if (!me.ok) throw await failure(me);
    const { user } = await me.json();
    expectTypeOf(user).toEqualTypeOf<User>();
    expect(user).toEqual(session.user);

    const out = await client.v1.auth.logout.$post({}, auth);
    if (!out.ok) throw await failure(out);
    expectTypeOf(out.status).toEqualTypeOf<204>();
    expect(out.status).toBe(204);

    // The error answers are in the types too: a 401 is not typed as a user.
    const after = await client.v1.me.$get({}, auth);
    expect(after.ok).toBe(false);
    if (after.ok) return;
    // Each route's contract names its errors, so the client knows GET /v1/me fails only with these…
    expectTypeOf<Awaited<ReturnType<typeof after.json>>>().toEqualTypeOf<
      ErrorBody<"unauthorized"> | ErrorBody<"account_disabled"> | ErrorBody<"internal_error">
    >();
    expect(after.status).toBe(401);
    if (after.status !== 401) return;
    // …and each under its own status.
    const problem = await after.json();
    expectTypeOf(problem).toEqualTypeOf<ErrorBody<"unauthorized">>();
    expect(problem.error.code).toBe("unauthorized");
  });

  it("answers an error the types describe, by status", async () => {
    const response = await client.v1.auth["sms-login"].$post({ json: { phone: uniquePhone(), code: "123456" } });
    if (response.status === 200) throw new Error("signed in without a code");
    const { error } = await response.json();
    type SmsLoginErrors =
      | "invalid_request"
      | "invalid_phone"
      | "invalid_code"
      | "code_expired"
      | "payload_too_large"
      | "too_many_requests"
      | "too_many_attempts"
      | "account_disabled"
      | "internal_error";
    expectTypeOf(error.code).toEqualTypeOf<SmsLoginErrors>();
    expect(response.status).toBe(400);
    expect(error.code).toBe("code_expired");
  });

  it("types the request bodies: a wrong field is a compile error", () => {
    // Never called: only the types are under test (tsc checks the @ts-expect-error lines).
    const typeOnly = () => {
      // @ts-expect-error purpose must be one of the purposes
      void client.v1.codes.$post({ json: { phone: "+8613800138000", purpose: "signup" } });
      // @ts-expect-error code is required
      void client.v1.auth["sms-login"].$post({ json: { phone: "+8613800138000" } });
    };
    expect(typeof typeOnly).toBe("function");
  });
});
