/**
 * Issue 10 item 1: the code's hash is stored before the SMS is sent. A failed KV write sends
 * nothing; a stored code whose SMS fails is voided by the phone's Durable Object; a reset code is
 * stored before its background send, so it verifies the moment the provider has it.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { budgetSpent, setBudgetSpent } from "../support/attacks";
import { call, captureSms, type ErrorBody, json, post, signIn, uniquePhone } from "../support/helpers";
import { json as answer, interceptFetch } from "../support/intercept";
import { age, waitForBackground } from "../support/time";

const sms = captureSms();

const RONGLIAN = {
  SMS_PROVIDER: "ronglian",
  RONGLIAN_BASE_URL: "https://ronglian.test",
  RONGLIAN_ACCOUNT_SID: "abc123",
  RONGLIAN_AUTH_TOKEN: "ronglianAuthTokenSecretValue",
  RONGLIAN_APP_ID: "app1",
  RONGLIAN_TEMPLATE_IDS: '{"login":"1","register":"2","reset_password":"3","change_phone":"4"}',
};

/** The CODES binding with every write failing, as during a KV incident or past the Free plan's daily writes. */
function failingKv(): KVNamespace {
  const kv = env.CODES;
  return {
    get: (...args: Parameters<KVNamespace["get"]>) => (kv.get as (...a: unknown[]) => unknown)(...args),
    put: () => Promise.reject(new Error("KV PUT failed: 429 Too Many Requests")),
  } as unknown as KVNamespace;
}

// Only the spies on fetch (and the ones a test restores itself): captureSms's spy on console.log stays.
afterEach(() => {
  vi.mocked(globalThis.fetch).mockRestore?.();
});

describe("the code is stored before it is sent", () => {
  it("sends nothing when the KV write fails, and takes no limit", async () => {
    await setBudgetSpent(0);
    const phone = uniquePhone();
    const response = await call("POST", "/v1/codes", { phone, purpose: "login" }, { env: { CODES: failingKv() } });
    expect(response.status).toBe(500);
    expect(sms.sentCount(phone)).toBe(0);
    expect(await budgetSpent()).toBe(0);
    // Nothing was taken: no cooldown, no count.
    expect((await post("/v1/codes", { phone, purpose: "login" })).status).toBe(202);
    expect(sms.sentCount(phone)).toBe(1);
    expect(await budgetSpent()).toBe(1);
  });

  it("voids a stored code whose SMS every provider refused, and gives the SMS back", async () => {
    await setBudgetSpent(0);
    const phone = uniquePhone();
    const received: string[] = [];
    interceptFetch(async (request) => {
      received.push((JSON.parse(await request.text()) as { datas: string[] }).datas[0]!);
      // An account-level refusal (no balance): it fails over, and with no other provider the send fails.
      return answer({ statusCode: "111142", statusMsg: "no balance" });
    });
    const response = await call("POST", "/v1/codes", { phone, purpose: "login" }, { env: RONGLIAN });
    expect(response.status).toBe(502);
    vi.mocked(globalThis.fetch).mockRestore?.();
    // The hash was written first, so KV holds it, but the object no longer counts it as current.
    expect(await env.CODES.get(`code:login:${phone}`)).not.toBeNull();
    const guess = await post("/v1/codes/verify", { phone, purpose: "login", code: received[0] });
    expect((await json<ErrorBody>(guess)).error.code).toBe("code_expired");
    expect(await budgetSpent()).toBe(0);
  });

  it("a reset code verifies the moment the provider has it (stored before the background send)", async () => {
    const user = await signIn(sms);
    await age(user.phone, 61_000);
    const outcomes: { status: number; body: string }[] = [];
    interceptFetch(async (request) => {
      const code = (JSON.parse(await request.text()) as { datas: string[] }).datas[0]!;
      // The provider's side: the SMS arrives and the user types it at once.
      const verified = await post("/v1/codes/verify", { phone: user.phone, purpose: "reset_password", code });
      outcomes.push({ status: verified.status, body: await verified.text() });
      return answer({ statusCode: "000000", templateSMS: { smsMessageSid: "SID-1", dateCreated: "20250101003005" } });
    });
    const response = await call("POST", "/v1/codes", { phone: user.phone, purpose: "reset_password" }, { env: RONGLIAN });
    expect(response.status).toBe(202);
    await waitForBackground(async () => outcomes.length > 0);
    expect(outcomes[0]!.status, outcomes[0]!.body).toBe(200);
  });

  it("a reset to any number is stored before the answer", async () => {
    for (const phone of [(await signIn(sms)).phone, uniquePhone()]) {
      // The login code of signIn holds the cooldown: a reset is another purpose but the same phone.
      await age(phone, 61_000);
      const response = await post("/v1/codes", { phone, purpose: "reset_password" });
      expect(response.status).toBe(202);
      expect(await env.CODES.get(`code:reset_password:${phone}`)).not.toBeNull();
    }
  });
});
