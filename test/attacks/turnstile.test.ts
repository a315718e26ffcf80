/**
 * Turnstile on POST /v1/codes (when TURNSTILE_SECRET_KEY is set), against a fake siteverify that
 * answers like Cloudflare's for its documented dummy secret keys
 * (https://developers.cloudflare.com/turnstile/troubleshooting/testing/):
 *   1x0000000000000000000000000000000AA always passes,
 *   2x0000000000000000000000000000000AA always fails,
 *   3x0000000000000000000000000000000AA yields "token already spent".
 * The Worker shares the test isolate, so spying on globalThis.fetch intercepts its siteverify call.
 */
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import { SITEVERIFY_URL } from "../../src/limits/turnstile";
import { clientGuardOf, eventsNamed, phoneGuardOf, storedKeys } from "../support/attacks";
import { type CallOptions, captureSms, type ErrorBody, json, post, uniqueIp, uniquePhone } from "../support/helpers";

const sms = captureSms();

const PASSES = "1x0000000000000000000000000000000AA";
const FAILS = "2x0000000000000000000000000000000AA";
const SPENT = "3x0000000000000000000000000000000AA";
const DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX";

interface Siteverify {
  secret: string | null;
  response: string | null;
  remoteip: string | null;
}

/** Cloudflare's siteverify, as documented for the dummy secrets. */
function siteverifyAnswer(form: Siteverify): Record<string, unknown> {
  const fail = (code: string) => ({ success: false, "error-codes": [code], messages: [] });
  if (!form.secret) return fail("missing-input-secret");
  if (!form.response) return fail("missing-input-response");
  if (form.secret === PASSES)
    return { success: true, "error-codes": [], challenge_ts: new Date().toISOString(), hostname: "example.com", action: "", cdata: "", metadata: {} };
  if (form.secret === FAILS) return fail("invalid-input-response");
  if (form.secret === SPENT) return fail("timeout-or-duplicate");
  return fail("invalid-input-secret");
}

let calls: Siteverify[] = [];
let spy: MockInstance<typeof fetch>;
let answer: (form: Siteverify, signal?: AbortSignal | null) => Promise<Response>;
const original = globalThis.fetch;

beforeEach(() => {
  calls = [];
  answer = async (form) => Response.json(siteverifyAnswer(form));
  spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url !== SITEVERIFY_URL) return original(input, init);
    expect(request.method).toBe("POST");
    const form = await request.formData();
    const read = (name: string) => {
      const value = form.get(name);
      return typeof value === "string" ? value : null;
    };
    const call = { secret: read("secret"), response: read("response"), remoteip: read("remoteip") };
    calls.push(call);
    return answer(call, init?.signal);
  });
});

afterEach(() => spy.mockRestore());

const withSecret = (secret: string, ip = uniqueIp(), extra: Record<string, unknown> = {}): CallOptions => ({
  ip,
  env: { TURNSTILE_SECRET_KEY: secret, ...extra },
});
const sendCode = (phone: string, captchaToken: string | undefined, options: CallOptions) =>
  post("/v1/codes", captchaToken === undefined ? { phone, purpose: "login" } : { phone, purpose: "login", captchaToken }, options);

async function expectCaptchaFailed(response: Response, reason: string) {
  expect(response.status).toBe(403);
  const body = await json<ErrorBody>(response);
  expect(body.error.code).toBe("captcha_failed");
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(eventsNamed(sms, "captcha.failed").at(-1)).toMatchObject({ reason });
}

/** A refused request left nothing behind: no SMS, no phone state, no count for the address. */
async function expectUntouched(phone: string, ip: string) {
  expect(sms.sentCount(phone)).toBe(0);
  expect(await storedKeys(phoneGuardOf(phone))).toEqual([]);
  expect(await storedKeys(clientGuardOf(ip))).toEqual([]);
}

describe("Turnstile on POST /v1/codes", () => {
  it("is off without TURNSTILE_SECRET_KEY: no token needed, siteverify never called", async () => {
    expect((await post("/v1/codes", { phone: uniquePhone(), purpose: "login" })).status).toBe(202);
    expect(calls).toHaveLength(0);
  });

  it("passes with the always-passes secret, sending secret, token and the client IP to siteverify", async () => {
    const phone = uniquePhone();
    const ip = uniqueIp();
    const response = await sendCode(phone, DUMMY_TOKEN, withSecret(PASSES, ip));
    expect(response.status).toBe(202);
    expect(calls).toEqual([{ secret: PASSES, response: DUMMY_TOKEN, remoteip: ip }]);
    expect(sms.sentCount(phone)).toBe(1);
  });

  it("passes the full IPv6 address as remoteip (the /64 is only for counting)", async () => {
    const ip = "2001:db8:42:1:aaaa:bbbb:cccc:dddd";
    expect((await sendCode(uniquePhone(), DUMMY_TOKEN, withSecret(PASSES, ip))).status).toBe(202);
    expect(calls[0]?.remoteip).toBe(ip);
  });

  it("refuses with 403 captcha_failed for the always-fails secret, and touches nothing", async () => {
    const phone = uniquePhone();
    const ip = uniqueIp();
    await expectCaptchaFailed(await sendCode(phone, DUMMY_TOKEN, withSecret(FAILS, ip)), "invalid-input-response");
    expect(calls).toHaveLength(1);
    await expectUntouched(phone, ip);
    // No cooldown was started: the same phone gets its code at once with a good token.
    expect((await sendCode(phone, DUMMY_TOKEN, withSecret(PASSES, ip))).status).toBe(202);
  });

  it("refuses a token already spent", async () => {
    const phone = uniquePhone();
    const ip = uniqueIp();
    await expectCaptchaFailed(await sendCode(phone, DUMMY_TOKEN, withSecret(SPENT, ip)), "timeout-or-duplicate");
    await expectUntouched(phone, ip);
  });

  it("refuses a missing token without calling siteverify", async () => {
    const phone = uniquePhone();
    const ip = uniqueIp();
    await expectCaptchaFailed(await sendCode(phone, undefined, withSecret(PASSES, ip)), "missing");
    expect(calls).toHaveLength(0);
    await expectUntouched(phone, ip);
  });

  it("refuses when siteverify does not answer within TURNSTILE_TIMEOUT_MS (fails closed)", async () => {
    answer = (_form, signal) =>
      new Promise<Response>((_resolve, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason));
      });
    const phone = uniquePhone();
    const ip = uniqueIp();
    await expectCaptchaFailed(await sendCode(phone, DUMMY_TOKEN, withSecret(PASSES, ip, { TURNSTILE_TIMEOUT_MS: "100" })), "timeout");
    await expectUntouched(phone, ip);
  });

  it("refuses when siteverify is unreachable or answers something that is not a verdict", async () => {
    const broken: (() => Promise<Response>)[] = [
      () => Promise.reject(new TypeError("Network connection lost.")),
      async () => new Response("<html>502 Bad Gateway</html>", { status: 502, headers: { "content-type": "text/html" } }),
      async () => Response.json(null),
      async () => Response.json([true]),
      async () => Response.json({ success: "true" }),
      async () => Response.json({}),
    ];
    for (const [i, make] of broken.entries()) {
      answer = make;
      const phone = uniquePhone();
      const ip = uniqueIp();
      const response = await sendCode(phone, DUMMY_TOKEN, withSecret(PASSES, ip));
      expect(response.status, `case ${i}`).toBe(403);
      expect((await json<ErrorBody>(response)).error.code).toBe("captcha_failed");
      await expectUntouched(phone, ip);
    }
  });

  it("is checked for every purpose, before the session check of change_phone", async () => {
    const ip = uniqueIp();
    for (const purpose of ["register", "reset_password", "change_phone"]) {
      const response = await post("/v1/codes", { phone: uniquePhone(), purpose, captchaToken: DUMMY_TOKEN }, withSecret(FAILS, ip));
      expect(response.status, purpose).toBe(403);
    }
  });

  it("is not asked of verification (the code is the proof there)", async () => {
    const phone = uniquePhone();
    expect((await sendCode(phone, DUMMY_TOKEN, withSecret(PASSES))).status).toBe(202);
    const verified = await post("/v1/codes/verify", { phone, purpose: "login", code: sms.lastCode(phone) }, withSecret(FAILS));
    expect(verified.status).toBe(200);
    expect(calls).toHaveLength(1);
  });
});
