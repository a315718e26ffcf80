/**
 * End-to-end tests of sending through the real providers' protocols (issue 3, "Behaviour around
 * sending"): POST /v1/codes with the Aliyun and Ronglian settings in env, their HTTP APIs faked by
 * intercepting fetch (the Worker shares the test isolate), and then /v1/codes/verify or
 * /v1/auth/sms-login to prove which code is — or is not — valid afterwards.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type CallOptions, captureConsole, type ErrorBody, get, json, post, uniquePhone, withoutRandomIds } from "../support/helpers";
import { json as answer, hex, interceptFetch } from "../support/intercept";
import { age, clearOfUtcMidnight, guardOf } from "../support/time";

// These tests set up today's budget (a UTC day): never let the day change under them.
beforeEach(clearOfUtcMidnight, 60_000);

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

const ALIYUN_KEY_ID = "LTAI5tE2eKeyId";
const ALIYUN_SECRET = "aliyun-Secret-Qx7vW2pLm4RtZk";
const ALIYUN_SIGN = "测试签名";
const RONGLIAN_SID = "abc123";
const RONGLIAN_TOKEN = "ronglianAuthTokenPz9Yx8Wv";
const RONGLIAN_APP = "app1";

const ALIYUN_ENV = {
  ALIYUN_ENDPOINT: "https://aliyun.test",
  ALIYUN_ACCESS_KEY_ID: ALIYUN_KEY_ID,
  ALIYUN_ACCESS_KEY_SECRET: ALIYUN_SECRET,
  ALIYUN_SIGN_NAME: ALIYUN_SIGN,
  ALIYUN_TEMPLATE_CODES: '{"login":"SMS_1","register":"SMS_2","reset_password":"SMS_3","change_phone":"SMS_4"}',
};
const RONGLIAN_ENV = {
  RONGLIAN_BASE_URL: "https://ronglian.test",
  RONGLIAN_ACCOUNT_SID: RONGLIAN_SID,
  RONGLIAN_AUTH_TOKEN: RONGLIAN_TOKEN,
  RONGLIAN_APP_ID: RONGLIAN_APP,
  RONGLIAN_TEMPLATE_IDS: '{"login":"1","register":"2","reset_password":"3","change_phone":"4"}',
};

/** Both providers configured, Aliyun first unless `SMS_PROVIDER` says otherwise. */
const providersEnv = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  SMS_PROVIDER: "aliyun,ronglian",
  ...ALIYUN_ENV,
  ...RONGLIAN_ENV,
  ...extra,
});

// ---------------------------------------------------------------------------------------------
// Fake providers
// ---------------------------------------------------------------------------------------------

type Handler = (request: Request) => Response | Promise<Response>;

interface Sent {
  provider: "aliyun" | "ronglian";
  request: Request;
  body: string;
  /** The code as the provider received it: Aliyun's TemplateParam, Ronglian's datas[0]. */
  code: string;
}

/** Every code any fake provider received in the current test: none may appear in a log line. */
let codesSeen: string[] = [];
/** Requests to a host (or provider) the current test set no fake for: there must be none. */
let unexpected: string[] = [];

/**
 * Routes the Worker's outbound requests by host to a fake Aliyun and a fake Ronglian, recording
 * each request, its body and the code it carries. A later call in the same test replaces the
 * fakes (vi.spyOn hands back the same fetch spy, with the new implementation).
 */
function fakeProviders(handlers: { aliyun?: Handler; ronglian?: Handler }) {
  const sent: Sent[] = [];
  interceptFetch(async (request) => {
    const host = new URL(request.url).host;
    const provider = host === "aliyun.test" ? "aliyun" : host === "ronglian.test" ? "ronglian" : undefined;
    const handler = provider && handlers[provider];
    if (!provider || !handler) {
      unexpected.push(request.url);
      return new Response("no fake for this host", { status: 599 });
    }
    const body = await request.clone().text();
    const code =
      provider === "aliyun"
        ? (JSON.parse(new URL(request.url).searchParams.get("TemplateParam") ?? "{}") as { code: string }).code
        : (JSON.parse(body) as { datas: string[] }).datas[0]!;
    codesSeen.push(code);
    sent.push({ provider, request, body, code });
    return handler(request);
  });
  return {
    sent,
    to: (provider: Sent["provider"]) => sent.filter((s) => s.provider === provider),
    /** The one code sent in this request (every provider tried gets the same code). */
    code(): string {
      const codes = new Set(sent.map((s) => s.code));
      if (codes.size !== 1) throw new Error(`expected one code, got ${[...codes].join(", ") || "none"}`);
      return [...codes][0]!;
    },
  };
}

let requestSerial = 0;
const aliyunOk = (): Response => {
  requestSerial += 1;
  return answer({ Code: "OK", Message: "OK", BizId: `BIZ-aliyun-${requestSerial}`, RequestId: `REQ-aliyun-ok-${requestSerial}` });
};
const aliyunError = (code: string, message: string, status = 200): Response =>
  answer({ Code: code, Message: message, RequestId: `REQ-aliyun-${code}` }, status);
const ronglianOk = (): Response => {
  requestSerial += 1;
  return answer({ statusCode: "000000", templateSMS: { smsMessageSid: `SID-ronglian-${requestSerial}`, dateCreated: "20250101003005" } });
};
const ronglianError = (statusCode: string, statusMsg: string, status = 200): Response => answer({ statusCode, statusMsg }, status);
const gatewayDown = (): Response => new Response("<html><body>502 Bad Gateway</body></html>", { status: 502, headers: { "content-type": "text/html" } });
const networkError: Handler = () => Promise.reject(new TypeError("Network connection lost."));
/** Never answers; rejects with the signal's reason once the sender's timeout aborts it, as workerd's fetch does. */
const hang: Handler = (request) =>
  new Promise<Response>((_resolve, reject) => {
    if (request.signal.aborted) reject(request.signal.reason);
    request.signal.addEventListener("abort", () => reject(request.signal.reason));
  });

// Provider message texts (free text, possibly quoting the number): never logged.
const ALIYUN_MESSAGE = "触发小时级流控Permits:5 ALIYUN-MESSAGE-TEXT";
const RONGLIAN_MESSAGE = "【短信】发送频率过快 RONGLIAN-MESSAGE-TEXT";

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

const output = captureConsole(["log", "error", "warn", "info", "debug"]);

beforeEach(() => {
  codesSeen = [];
  unexpected = [];
});

afterEach(() => {
  vi.restoreAllMocks();
  expect(unexpected, "requests no fake provider was set up for").toEqual([]);
  // Whatever happened in the test: no log line carries a code, a secret or a provider's message text.
  const forbidden = [...codesSeen, ALIYUN_SECRET, RONGLIAN_TOKEN, ALIYUN_MESSAGE, RONGLIAN_MESSAGE, "MESSAGE-TEXT"];
  for (const line of output.lines()) for (const text of forbidden) expect(withoutRandomIds(line), `log line leaks ${text}`).not.toContain(text);
});

const eventsNamed = (name: string) => output.events(name);

// ---------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------

const sendCode = (phone: string, overrides: Record<string, unknown>, purpose = "login") =>
  post("/v1/codes", { phone, purpose }, { env: overrides } satisfies CallOptions);
const smsLogin = (phone: string, code: string) => post("/v1/auth/sms-login", { phone, code });
const verify = (phone: string, code: string, purpose = "login") => post("/v1/codes/verify", { phone, purpose, code });

async function errorCode(response: Response): Promise<string> {
  return (await json<ErrorBody>(response)).error.code;
}

/** Proves `code` signs `phone` in. */
async function expectLogsIn(phone: string, code: string): Promise<void> {
  const response = await smsLogin(phone, code);
  expect(response.status, await response.clone().text()).toBe(200);
  const body = await json<{ accessToken: string; user: { phone: string } }>(response);
  expect(body.user.phone).toBe(phone);
}

/** Proves no code is valid for `phone`: the one a provider received answers code_expired. */
async function expectNoValidCode(phone: string, code: string): Promise<void> {
  const verified = await verify(phone, code);
  expect(verified.status).toBe(400);
  expect(await errorCode(verified)).toBe("code_expired");
  const login = await smsLogin(phone, code);
  expect(login.status).toBe(400);
  expect(await errorCode(login)).toBe("code_expired");
}

/** The phone's state in its Durable Object (undefined when nothing is recorded). */
async function phoneState(phone: string): Promise<{ sends: number[]; lastSendAt?: number; codes: Record<string, unknown> } | undefined> {
  return runInDurableObject(guardOf(phone), (_instance, state) => state.storage.kv.get(`phone:${phone}`));
}

/** SMS taken from today's deployment budget. */
async function budgetSpent(): Promise<number> {
  const stub = env.SMS_BUDGET.get(env.SMS_BUDGET.idFromName("global"));
  return runInDurableObject(stub, (_instance, state) => state.storage.kv.get<{ spent: number }>("today")?.spent ?? 0);
}

// ---------------------------------------------------------------------------------------------
// Independent signature checks (crypto.subtle only, nothing from src/)
// ---------------------------------------------------------------------------------------------

const utf8 = new TextEncoder();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
const sha256Hex = async (text: string) => hex(await crypto.subtle.digest("SHA-256", utf8.encode(text)));
async function hmac(key: string, data: string, hash: "SHA-256" | "SHA-1"): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey("raw", utf8.encode(key), { name: "HMAC", hash }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, utf8.encode(data));
}
const base64 = (bytes: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(bytes)));

/** yyyyMMddHHmmss in Beijing time back to the instant it names. */
function fromBeijing(ts: string): number {
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(ts)!;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - 8 * 3600_000;
}

// =============================================================================================

describe("a code delivered by a provider signs in", () => {
  it("Aliyun (signature V3): the exact SendSms request, and its TemplateParam code logs in", async () => {
    const phone = uniquePhone();
    const national = phone.slice(3);
    const fake = fakeProviders({ aliyun: aliyunOk });
    const sentBefore = await budgetSpent();

    const response = await sendCode(phone, { SMS_PROVIDER: "aliyun", ...ALIYUN_ENV });
    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({ phone, purpose: "login", expiresIn: 300, resendIn: 60 });
    expect(fake.sent).toHaveLength(1);

    const { request, body, code } = fake.sent[0]!;
    expect(code).toMatch(/^\d{6}$/);
    expect(request.method).toBe("POST");
    expect(body).toBe("");
    // Mainland: the 11 national digits; every parameter in the query, sorted and RFC 3986-encoded.
    expect(national).toMatch(/^1\d{10}$/);
    expect(request.url).toBe(
      `https://aliyun.test/?PhoneNumbers=${national}&SignName=${encodeURIComponent(ALIYUN_SIGN)}&TemplateCode=SMS_1` +
        `&TemplateParam=${encodeURIComponent(`{"code":"${code}"}`)}`,
    );

    const headers = Object.fromEntries(request.headers);
    const date = headers["x-acs-date"]!;
    expect(date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(60_000);
    expect(headers["x-acs-signature-nonce"]).toMatch(/^[0-9a-f]{32}$/);

    // ACS3-HMAC-SHA256, recomputed from Aliyun's documentation.
    const url = new URL(request.url);
    const emptyHash = await sha256Hex("");
    const canonicalRequest = [
      "POST",
      "/",
      url.search.slice(1),
      `host:${url.host}\nx-acs-action:SendSms\nx-acs-content-sha256:${emptyHash}\nx-acs-date:${date}\n` +
        `x-acs-signature-nonce:${headers["x-acs-signature-nonce"]}\nx-acs-version:2017-05-25\n`,
      "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version",
      emptyHash,
    ].join("\n");
    const signature = hex(await hmac(ALIYUN_SECRET, `ACS3-HMAC-SHA256\n${await sha256Hex(canonicalRequest)}`, "SHA-256"));
    expect(headers).toEqual({
      accept: "application/json",
      authorization:
        `ACS3-HMAC-SHA256 Credential=${ALIYUN_KEY_ID},` +
        `SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=${signature}`,
      "x-acs-action": "SendSms",
      "x-acs-version": "2017-05-25",
      "x-acs-date": date,
      "x-acs-signature-nonce": headers["x-acs-signature-nonce"],
      "x-acs-content-sha256": emptyHash,
    });

    // One SMS paid for, one send counted; the log names the provider and its id, not the code.
    expect(await budgetSpent()).toBe(sentBefore + 1);
    expect((await phoneState(phone))?.sends).toHaveLength(1);
    const [sentEvent] = eventsNamed("code.sent");
    expect(sentEvent).toMatchObject({ provider: "aliyun", providerRequestId: expect.stringMatching(/^BIZ-aliyun-\d+$/), purpose: "login" });
    expect(sentEvent!.phone).not.toBe(phone);

    await expectLogsIn(phone, code);
    // Spent: the same code does not work twice.
    expect(await errorCode(await smsLogin(phone, code))).toBe("code_expired");
  });

  it("Aliyun (signature V2): the exact query with its HMAC-SHA1 Signature, and the code logs in", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: aliyunOk });
    const response = await sendCode(phone, { SMS_PROVIDER: "aliyun", ...ALIYUN_ENV, ALIYUN_SIGNATURE: "v2" });
    expect(response.status).toBe(202);

    const { request, body, code } = fake.sent[0]!;
    expect(request.method).toBe("POST");
    expect(body).toBe("");
    expect(Object.fromEntries(request.headers)).toEqual({ accept: "application/json" });
    const url = new URL(request.url);
    expect(`${url.origin}${url.pathname}`).toBe("https://aliyun.test/");
    const { Signature: sig, ...signed } = Object.fromEntries(url.searchParams);
    expect(signed).toEqual({
      AccessKeyId: ALIYUN_KEY_ID,
      Action: "SendSms",
      Format: "JSON",
      PhoneNumbers: phone.slice(3),
      SignName: ALIYUN_SIGN,
      SignatureMethod: "HMAC-SHA1",
      SignatureNonce: expect.stringMatching(/^[0-9a-f]{32}$/),
      SignatureVersion: "1.0",
      TemplateCode: "SMS_1",
      TemplateParam: `{"code":"${code}"}`,
      Timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      Version: "2017-05-25",
    });
    const query = Object.keys(signed)
      .sort()
      .map((k) => `${rfc3986(k)}=${rfc3986(signed[k]!)}`)
      .join("&");
    expect(url.search).toBe(`?${query}&Signature=${rfc3986(sig!)}`);
    expect(sig).toBe(base64(await hmac(`${ALIYUN_SECRET}&`, `POST&%2F&${rfc3986(query)}`, "SHA-1")));

    await expectLogsIn(phone, code);
  });

  it("Ronglian: the exact TemplateSMS request, datas[0] logs in and datas[1] is the validity in minutes", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ ronglian: ronglianOk });
    const response = await sendCode(phone, { SMS_PROVIDER: "ronglian", ...RONGLIAN_ENV });
    expect(response.status).toBe(202);
    expect(fake.sent).toHaveLength(1);

    const { request, body, code } = fake.sent[0]!;
    expect(request.method).toBe("POST");
    const headers = Object.fromEntries(request.headers);
    expect(Object.keys(headers).sort()).toEqual(["accept", "authorization", "content-type"]);
    expect(headers.accept).toBe("application/json");
    expect(headers["content-type"]).toBe("application/json;charset=utf-8");

    // Authorization: base64("SID:yyyyMMddHHmmss"), Beijing time, close to now.
    const [sid, ts] = atob(headers.authorization!).split(":") as [string, string];
    expect(sid).toBe(RONGLIAN_SID);
    expect(ts).toMatch(/^\d{14}$/);
    expect(Math.abs(fromBeijing(ts) - Date.now())).toBeLessThan(60_000);
    // sig: uppercase hex MD5(SID + token + the same timestamp).
    const sig = hex(await crypto.subtle.digest("MD5", utf8.encode(`${RONGLIAN_SID}${RONGLIAN_TOKEN}${ts}`))).toUpperCase();
    expect(request.url).toBe(`https://ronglian.test/2013-12-26/Accounts/${RONGLIAN_SID}/SMS/TemplateSMS?sig=${sig}`);

    expect(JSON.parse(body)).toEqual({ to: phone.slice(3), appId: RONGLIAN_APP, templateId: "1", datas: [code, "5"] });
    expect(code).toMatch(/^\d{6}$/);
    expect(eventsNamed("code.sent")).toEqual([
      expect.objectContaining({ provider: "ronglian", providerRequestId: expect.stringMatching(/^SID-ronglian-\d+$/) }),
    ]);

    await expectLogsIn(phone, code);
  });

  it("uses each purpose's template (register: SMS_2 / template 2), and the delivered code verifies", async () => {
    const aliyunPhone = uniquePhone();
    const ronglianPhone = uniquePhone();
    const fake = fakeProviders({ aliyun: aliyunOk, ronglian: ronglianOk });
    expect((await sendCode(aliyunPhone, providersEnv(), "register")).status).toBe(202);
    expect((await sendCode(ronglianPhone, providersEnv({ SMS_PROVIDER: "ronglian,aliyun" }), "register")).status).toBe(202);

    const [viaAliyun, viaRonglian] = fake.sent as [Sent, Sent];
    expect(fake.sent.map((s) => s.provider)).toEqual(["aliyun", "ronglian"]);
    expect(new URL(viaAliyun.request.url).searchParams.get("TemplateCode")).toBe("SMS_2");
    expect(JSON.parse(viaRonglian.body)).toMatchObject({ templateId: "2", datas: [viaRonglian.code, "5"] });

    for (const [phone, code] of [
      [aliyunPhone, viaAliyun.code],
      [ronglianPhone, viaRonglian.code],
    ] as const) {
      const verified = await verify(phone, code, "register");
      expect(verified.status).toBe(200);
      expect(await json(verified)).toMatchObject({ verificationToken: expect.any(String) });
    }
  });

  it("Ronglian's datas[1] follows CODE_TTL_SECONDS (rounded up to whole minutes)", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ ronglian: ronglianOk });
    // The Durable Object reads the real bindings (300 s); only the SMS text is checked here.
    const response = await sendCode(phone, { SMS_PROVIDER: "ronglian", ...RONGLIAN_ENV, CODE_TTL_SECONDS: "130" });
    expect(response.status).toBe(202);
    expect(JSON.parse(fake.sent[0]!.body).datas[1]).toBe("3");
  });
});

// =============================================================================================

describe("failover: providers are tried in SMS_PROVIDER's order", () => {
  it("a 5xx from Aliyun fails over to Ronglian, whose code logs in", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: gatewayDown, ronglian: ronglianOk });
    const response = await sendCode(phone, providersEnv());
    expect(response.status).toBe(202);
    expect(fake.sent.map((s) => s.provider)).toEqual(["aliyun", "ronglian"]);
    // One code, drawn once: Ronglian's datas[0] is what Aliyun was asked to send too.
    const code = fake.code();
    expect(eventsNamed("code.failed")).toEqual([expect.objectContaining({ provider: "aliyun", providerCode: "http_502", kind: "retryable" })]);
    expect(eventsNamed("code.sent")).toEqual([expect.objectContaining({ provider: "ronglian" })]);
    // One SMS delivered counts once against the phone.
    expect((await phoneState(phone))?.sends).toHaveLength(1);
    await expectLogsIn(phone, code);
  });

  it("a network error fails over", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: networkError, ronglian: ronglianOk });
    expect((await sendCode(phone, providersEnv())).status).toBe(202);
    expect(fake.sent.map((s) => s.provider)).toEqual(["aliyun", "ronglian"]);
    expect(eventsNamed("code.failed")).toEqual([expect.objectContaining({ provider: "aliyun", providerCode: "network_error", kind: "retryable" })]);
    await expectLogsIn(phone, fake.code());
  });

  it("a timeout (SMS_TIMEOUT_MS, through the AbortSignal) fails over", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: hang, ronglian: ronglianOk });
    const started = performance.now();
    const response = await sendCode(phone, providersEnv({ SMS_TIMEOUT_MS: "200" }));
    const elapsed = performance.now() - started;
    expect(response.status).toBe(202);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(3000);
    expect(fake.sent.map((s) => s.provider)).toEqual(["aliyun", "ronglian"]);
    expect(fake.sent[0]!.request.signal.aborted).toBe(true);
    expect(eventsNamed("code.failed")).toEqual([expect.objectContaining({ provider: "aliyun", providerCode: "timeout", kind: "retryable" })]);
    await expectLogsIn(phone, fake.code());
  });

  it.each([
    ["Aliyun daily limit", "isv.DAY_LIMIT_CONTROL", 200],
    ["Aliyun empty balance", "isv.AMOUNT_NOT_ENOUGH", 200],
    ["Aliyun service suspended for an overdue account", "isv.OUT_OF_SERVICE", 200],
    ["Aliyun gateway throttling", "Throttling.User", 400],
    ["Aliyun 503 with its JSON", "ServiceUnavailable", 503],
  ] as const)("%s (%s) fails over to Ronglian", async (_name, providerCode, status) => {
    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: () => aliyunError(providerCode, ALIYUN_MESSAGE, status), ronglian: ronglianOk });
    expect((await sendCode(phone, providersEnv())).status).toBe(202);
    expect(fake.sent.map((s) => s.provider)).toEqual(["aliyun", "ronglian"]);
    expect(eventsNamed("code.failed")).toEqual([
      expect.objectContaining({ provider: "aliyun", providerCode, providerRequestId: `REQ-aliyun-${providerCode}`, kind: "retryable" }),
    ]);
    await expectLogsIn(phone, fake.code());
  });

  it.each([
    ["Ronglian's empty balance", "111142"],
    ["Ronglian's bad sig (a configuration problem)", "111109"],
  ] as const)("%s (%s) fails over to Aliyun when Ronglian is first", async (_name, providerCode) => {
    const phone = uniquePhone();
    const fake = fakeProviders({ ronglian: () => ronglianError(providerCode, RONGLIAN_MESSAGE), aliyun: aliyunOk });
    expect((await sendCode(phone, providersEnv({ SMS_PROVIDER: "ronglian,aliyun" }))).status).toBe(202);
    expect(fake.sent.map((s) => s.provider)).toEqual(["ronglian", "aliyun"]);
    expect(eventsNamed("code.failed")).toEqual([expect.objectContaining({ provider: "ronglian", providerCode })]);
    await expectLogsIn(phone, fake.code());
  });

  it("a refusal that is this account's problem (bad signature, template) fails over too, logged as rejected", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: () => aliyunError("SignatureDoesNotMatch", ALIYUN_MESSAGE, 400), ronglian: ronglianOk });
    expect((await sendCode(phone, providersEnv())).status).toBe(202);
    expect(fake.sent.map((s) => s.provider)).toEqual(["aliyun", "ronglian"]);
    expect(eventsNamed("code.failed")).toEqual([expect.objectContaining({ provider: "aliyun", providerCode: "SignatureDoesNotMatch", kind: "rejected" })]);
    await expectLogsIn(phone, fake.code());
  });

  it("the first provider that delivers ends the list: the second is not called", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: aliyunOk, ronglian: ronglianOk });
    expect((await sendCode(phone, providersEnv())).status).toBe(202);
    expect(fake.sent.map((s) => s.provider)).toEqual(["aliyun"]);
  });
});

// =============================================================================================

describe("an invalid number never fails over", () => {
  it("Aliyun's isv.MOBILE_NUMBER_ILLEGAL answers 400 invalid_phone, Ronglian is never called, nothing is taken", async () => {
    const phone = uniquePhone();
    const budget = await budgetSpent();
    const fake = fakeProviders({ aliyun: () => aliyunError("isv.MOBILE_NUMBER_ILLEGAL", ALIYUN_MESSAGE), ronglian: ronglianOk });
    const response = await sendCode(phone, providersEnv());
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("invalid_phone");
    expect(fake.to("ronglian")).toHaveLength(0);
    expect(fake.to("aliyun")).toHaveLength(1);
    expect(eventsNamed("code.failed")).toEqual([
      expect.objectContaining({
        provider: "aliyun",
        providerCode: "isv.MOBILE_NUMBER_ILLEGAL",
        providerRequestId: "REQ-aliyun-isv.MOBILE_NUMBER_ILLEGAL",
        kind: "invalid_number",
      }),
    ]);
    await expectNoValidCode(phone, fake.code());
    expect(await phoneState(phone)).toBeUndefined();
    expect(await budgetSpent()).toBe(budget);
    // No cooldown was started: asking again reaches the provider again (and not a 429).
    const again = await sendCode(phone, providersEnv());
    expect(again.status).toBe(400);
    expect(fake.to("aliyun")).toHaveLength(2);
    expect(fake.to("ronglian")).toHaveLength(0);
  });

  it("Ronglian's 160042 answers 400 invalid_phone and Aliyun is never called", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ ronglian: () => ronglianError("160042", RONGLIAN_MESSAGE), aliyun: aliyunOk });
    const response = await sendCode(phone, providersEnv({ SMS_PROVIDER: "ronglian,aliyun" }));
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("invalid_phone");
    expect(fake.sent.map((s) => s.provider)).toEqual(["ronglian"]);
    expect(eventsNamed("code.failed")).toEqual([expect.objectContaining({ provider: "ronglian", providerCode: "160042", kind: "invalid_number" })]);
    await expectNoValidCode(phone, fake.code());
    expect(await phoneState(phone)).toBeUndefined();
  });
});

// =============================================================================================

describe("when every provider fails", () => {
  it("answers 502 sms_send_failed; the code is not valid, no cooldown started, no SMS counted", async () => {
    const phone = uniquePhone();
    const budget = await budgetSpent();
    const failing = fakeProviders({ aliyun: gatewayDown, ronglian: () => ronglianError("111142", RONGLIAN_MESSAGE) });
    const response = await sendCode(phone, providersEnv());
    expect(response.status).toBe(502);
    expect(await errorCode(response)).toBe("sms_send_failed");
    expect(failing.sent.map((s) => s.provider)).toEqual(["aliyun", "ronglian"]);
    const failedCode = failing.code();

    await expectNoValidCode(phone, failedCode);
    expect(await phoneState(phone)).toBeUndefined();
    expect(await budgetSpent()).toBe(budget);

    // An immediate resend is accepted (no cooldown), and its code is the one that works.
    const working = fakeProviders({ aliyun: aliyunOk });
    const resend = await sendCode(phone, providersEnv());
    expect(resend.status).toBe(202);
    const code = working.code();
    expect((await phoneState(phone))?.sends).toHaveLength(1);
    expect(await budgetSpent()).toBe(budget + 1);
    if (code !== failedCode) expect(await errorCode(await smsLogin(phone, failedCode))).toBe("invalid_code");
    await expectLogsIn(phone, code);
  });

  it("answers 502 when every provider times out, after about one timeout each", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: hang, ronglian: hang });
    const started = performance.now();
    const response = await sendCode(phone, providersEnv({ SMS_TIMEOUT_MS: "200" }));
    const elapsed = performance.now() - started;
    expect(response.status).toBe(502);
    expect(await errorCode(response)).toBe("sms_send_failed");
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(5000);
    expect(eventsNamed("code.failed").map((e) => [e.provider, e.providerCode])).toEqual([
      ["aliyun", "timeout"],
      ["ronglian", "timeout"],
    ]);
    await expectNoValidCode(phone, fake.code());
  });

  it("does not count failed sends toward the daily cap: ten failures, then the eleventh request is sent", async () => {
    const phone = uniquePhone();
    const failing = fakeProviders({ aliyun: networkError, ronglian: gatewayDown });
    for (let i = 0; i < 10; i += 1) {
      const response = await sendCode(phone, providersEnv());
      expect(response.status).toBe(502);
    }
    expect(failing.sent).toHaveLength(20);
    expect(await phoneState(phone)).toBeUndefined();

    const working = fakeProviders({ ronglian: ronglianOk });
    expect((await sendCode(phone, providersEnv({ SMS_PROVIDER: "ronglian" }))).status).toBe(202);
    expect((await phoneState(phone))?.sends).toHaveLength(1);
    await expectLogsIn(phone, working.code());
  });

  it("a failed resend leaves the previous, delivered code as the valid one", async () => {
    const phone = uniquePhone();
    const first = fakeProviders({ ronglian: ronglianOk });
    expect((await sendCode(phone, providersEnv({ SMS_PROVIDER: "ronglian" }))).status).toBe(202);
    const delivered = first.code();
    await age(phone, 61_000);

    const failing = fakeProviders({ ronglian: gatewayDown });
    expect((await sendCode(phone, providersEnv({ SMS_PROVIDER: "ronglian" }))).status).toBe(502);
    const undelivered = failing.code();
    expect((await phoneState(phone))?.sends).toHaveLength(1);

    if (undelivered !== delivered) {
      const guess = await smsLogin(phone, undelivered);
      expect(guess.status).toBe(400);
      expect(await errorCode(guess)).toBe("invalid_code");
    }
    await expectLogsIn(phone, delivered);
  });
});

// =============================================================================================

describe("logs", () => {
  it("carry provider, error code and request id for each attempt; never the code, secrets, message text or full number", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({
      aliyun: () => aliyunError("isv.AMOUNT_NOT_ENOUGH", ALIYUN_MESSAGE),
      ronglian: () => ronglianError("111142", RONGLIAN_MESSAGE),
    });
    expect((await sendCode(phone, providersEnv())).status).toBe(502);
    const code = fake.code();

    const failed = eventsNamed("code.failed");
    expect(failed).toEqual([
      {
        event: "code.failed",
        requestId: expect.any(String),
        provider: "aliyun",
        providerCode: "isv.AMOUNT_NOT_ENOUGH",
        providerRequestId: "REQ-aliyun-isv.AMOUNT_NOT_ENOUGH",
        kind: "retryable",
        phone: `${phone.slice(0, 6)}****${phone.slice(-4)}`,
        purpose: "login",
      },
      {
        event: "code.failed",
        requestId: expect.any(String),
        provider: "ronglian",
        providerCode: "111142",
        kind: "retryable",
        phone: `${phone.slice(0, 6)}****${phone.slice(-4)}`,
        purpose: "login",
      },
    ]);

    expect(output.lines().length).toBeGreaterThan(0);
    for (const line of output.lines()) {
      expect(withoutRandomIds(line)).not.toContain(code);
      expect(line).not.toContain(ALIYUN_SECRET);
      expect(line).not.toContain(RONGLIAN_TOKEN);
      expect(line).not.toContain("MESSAGE-TEXT");
      expect(line).not.toContain(phone);
    }
  });
});

// =============================================================================================

describe("number formats", () => {
  it("+85291234567: Aliyun gets 85291234567, Ronglian 0085291234567, and the code logs in", async () => {
    const phone = "+85291234567";
    const fake = fakeProviders({ aliyun: gatewayDown, ronglian: ronglianOk });
    const response = await sendCode(phone, providersEnv({ ALLOWED_COUNTRIES: "CN,HK" }));
    expect(response.status).toBe(202);
    const [aliyun, ronglian] = fake.sent as [Sent, Sent];
    expect(new URL(aliyun.request.url).searchParams.get("PhoneNumbers")).toBe("85291234567");
    expect(aliyun.request.url).toContain("PhoneNumbers=85291234567&");
    expect(JSON.parse(ronglian.body).to).toBe("0085291234567");
    await expectLogsIn(phone, fake.code());
  });

  it("a Hong Kong number is refused before any provider is asked when HK is not allowed", async () => {
    const fake = fakeProviders({ aliyun: aliyunOk, ronglian: ronglianOk });
    const response = await sendCode("+85291234568", providersEnv());
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("country_not_allowed");
    expect(fake.sent).toHaveLength(0);
  });

  it("mainland numbers go to both providers as their 11 national digits", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: networkError, ronglian: ronglianOk });
    expect((await sendCode(phone, providersEnv())).status).toBe(202);
    const [aliyun, ronglian] = fake.sent as [Sent, Sent];
    expect(new URL(aliyun.request.url).searchParams.get("PhoneNumbers")).toBe(phone.slice(3));
    expect(JSON.parse(ronglian.body).to).toBe(phone.slice(3));
    expect(phone.slice(3)).toHaveLength(11);
  });
});

// =============================================================================================

describe("a provider with missing or malformed settings", () => {
  it("/healthz answers 200 and lists both providers when they are configured", async () => {
    const response = await get("/healthz", { env: providersEnv() });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ ok: true, sms: { aliyun: { ok: true }, ronglian: { ok: true } } });
  });

  it("missing: /healthz names the setting (no values) with 503; POST /v1/codes is 503 sms_not_configured and takes no limit", async () => {
    const broken = providersEnv({ ALIYUN_SIGN_NAME: undefined });
    const health = await get("/healthz", { env: broken });
    expect(health.status).toBe(503);
    const text = await health.text();
    expect(JSON.parse(text)).toEqual({ ok: false, sms: { aliyun: { ok: false, problems: ["ALIYUN_SIGN_NAME: missing"] }, ronglian: { ok: true } } });
    for (const value of [ALIYUN_SECRET, ALIYUN_KEY_ID, RONGLIAN_TOKEN]) expect(text).not.toContain(value);

    const phone = uniquePhone();
    const budget = await budgetSpent();
    const fake = fakeProviders({ aliyun: aliyunOk, ronglian: ronglianOk });
    const response = await sendCode(phone, broken);
    expect(response.status).toBe(503);
    expect(await errorCode(response)).toBe("sms_not_configured");
    expect(fake.sent).toHaveLength(0);
    expect(eventsNamed("sms.not_configured")).toEqual([expect.objectContaining({ provider: "aliyun", problems: "ALIYUN_SIGN_NAME: missing" })]);
    expect(await phoneState(phone)).toBeUndefined();
    expect(await budgetSpent()).toBe(budget);

    // Fixed: the immediate retry is sent (202, not 429), and its code logs in.
    const fixed = await sendCode(phone, providersEnv());
    expect(fixed.status).toBe(202);
    await expectLogsIn(phone, fake.code());
  });

  it("malformed: each broken Ronglian setting is named without its value, even when the working Aliyun is first", async () => {
    const broken = providersEnv({
      RONGLIAN_ACCOUNT_SID: "abc/123",
      RONGLIAN_BASE_URL: `https://user:${RONGLIAN_TOKEN}@ronglian.test`,
      RONGLIAN_TEMPLATE_IDS: `{"login":"1","register":"2","reset_password":"3"}`,
    });
    const health = await get("/healthz", { env: broken });
    expect(health.status).toBe(503);
    const text = await health.text();
    expect(JSON.parse(text)).toEqual({
      ok: false,
      sms: {
        aliyun: { ok: true },
        ronglian: {
          ok: false,
          problems: [
            "RONGLIAN_BASE_URL: must not carry a query, fragment or credentials",
            "RONGLIAN_ACCOUNT_SID: must be the ACCOUNT SID from the Ronglian console (letters and digits)",
            "RONGLIAN_TEMPLATE_IDS.change_phone: missing",
          ],
        },
      },
    });
    for (const value of [RONGLIAN_TOKEN, "abc/123", ALIYUN_SECRET]) expect(text).not.toContain(value);

    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: aliyunOk, ronglian: ronglianOk });
    const response = await sendCode(phone, broken);
    expect(response.status).toBe(503);
    expect(await errorCode(response)).toBe("sms_not_configured");
    expect(fake.sent).toHaveLength(0);
    expect(await phoneState(phone)).toBeUndefined();

    const fixed = await sendCode(phone, providersEnv());
    expect(fixed.status).toBe(202);
    await expectLogsIn(phone, fake.code());
  });

  it("a malformed template map holding a secret-looking value is reported by name only", async () => {
    const broken = { SMS_PROVIDER: "aliyun", ...ALIYUN_ENV, ALIYUN_TEMPLATE_CODES: `{"login":"${ALIYUN_SECRET}` };
    const health = await get("/healthz", { env: broken });
    expect(health.status).toBe(503);
    const text = await health.text();
    expect(JSON.parse(text)).toEqual({
      ok: false,
      sms: { aliyun: { ok: false, problems: ["ALIYUN_TEMPLATE_CODES: must be a JSON object with keys login, register, reset_password, change_phone"] } },
    });
    expect(text).not.toContain(ALIYUN_SECRET);

    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: aliyunOk });
    expect(await errorCode(await sendCode(phone, broken))).toBe("sms_not_configured");
    expect(fake.sent).toHaveLength(0);
    expect((await sendCode(phone, { SMS_PROVIDER: "aliyun", ...ALIYUN_ENV })).status).toBe(202);
  });
});
