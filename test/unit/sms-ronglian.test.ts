import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createRonglianSender,
  parseRonglianSettings,
  type RonglianSettings,
  ronglianPhoneNumber,
  ronglianProvider,
  validityMinutes,
} from "../../src/sms/ronglian/sender";
import { SmsDeliveryError } from "../../src/sms/types";
import { CODE, hex, hongKong, interceptFetch, interceptHangingFetch, json, mainland, message, never, rejection, unitedStates } from "../support/intercept";

afterEach(() => {
  vi.restoreAllMocks();
});

const SID = "8aaf0708a1b2c3d4e5f6a7b8c9d0e1f2";
const TOKEN = "0123456789abcdef0123456789abcdef";
const APP_ID = "8a216da8aabbccdd";
const TEMPLATES = { login: "1001", register: "1002", reset_password: "1003", change_phone: "1004", reauthenticate: "1001" };

const settings = (overrides: Partial<RonglianSettings> = {}): RonglianSettings => ({
  baseUrl: "https://app.cloopen.com:8883",
  accountSid: SID,
  authToken: TOKEN,
  appId: APP_ID,
  templateIds: TEMPLATES,
  ...overrides,
});

// 2024-12-31T16:30:05Z is 2025-01-01 00:30:05 in Beijing. The sig and Authorization for this
// instant were computed outside the Worker with Node's crypto module (see signing.test.ts):
//   MD5(SID + TOKEN + "20250101003005") = 63D3152DBF9999840B49A8660DA81999
//   base64(SID + ":20250101003005")     = OGFhZjA3MDhhMWIyYzNkNGU1ZjZhN2I4YzlkMGUxZjI6MjAyNTAxMDEwMDMwMDU=
const fixedClock = { now: () => new Date("2024-12-31T16:30:05.900Z"), nonce: () => "unused" };

const okAnswer = { statusCode: "000000", templateSMS: { smsMessageSid: "ff8080813c373cab013c94b0f0512345", dateCreated: "20250101003005" } };

describe("Ronglian settings", () => {
  const complete = {
    RONGLIAN_ACCOUNT_SID: SID,
    RONGLIAN_AUTH_TOKEN: TOKEN,
    RONGLIAN_APP_ID: APP_ID,
    RONGLIAN_TEMPLATE_IDS: JSON.stringify(TEMPLATES),
  };

  it("defaults to the production base URL", () => {
    expect(parseRonglianSettings(complete)).toEqual({ ok: true, settings: settings() });
    const setup = ronglianProvider(complete);
    expect(setup.ok && setup.sender.name).toBe("ronglian");
  });

  it("accepts the sandbox URL, numeric template ids and pasted whitespace", () => {
    const parsed = parseRonglianSettings({
      ...complete,
      RONGLIAN_BASE_URL: "https://sandboxapp.cloopen.com:8883/",
      RONGLIAN_AUTH_TOKEN: `${TOKEN}\n`,
      RONGLIAN_TEMPLATE_IDS: '{"login":1,"register":2,"reset_password":"3","change_phone":4}',
    });
    expect(parsed.ok && parsed.settings).toEqual(
      settings({
        baseUrl: "https://sandboxapp.cloopen.com:8883",
        templateIds: { login: "1", register: "2", reset_password: "3", change_phone: "4", reauthenticate: "1" },
      }),
    );
  });

  it("names every missing setting", () => {
    expect(ronglianProvider({})).toEqual({
      ok: false,
      problems: [
        "RONGLIAN_ACCOUNT_SID: missing",
        "RONGLIAN_AUTH_TOKEN: missing",
        "RONGLIAN_APP_ID: missing",
        "RONGLIAN_TEMPLATE_IDS: missing (a JSON object with keys login, register, reset_password, change_phone)",
      ],
    });
  });

  it("names malformed settings without echoing their values", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ RONGLIAN_ACCOUNT_SID: `${SID}/../x` }, "RONGLIAN_ACCOUNT_SID: must be the ACCOUNT SID from the Ronglian console (letters and digits)"],
      [{ RONGLIAN_APP_ID: "app id" }, "RONGLIAN_APP_ID: must be the APP ID from the Ronglian console (letters and digits)"],
      [{ RONGLIAN_TEMPLATE_IDS: TOKEN }, "RONGLIAN_TEMPLATE_IDS: must be a JSON object with keys login, register, reset_password, change_phone"],
      [{ RONGLIAN_TEMPLATE_IDS: "[1,2,3,4]" }, "RONGLIAN_TEMPLATE_IDS: must be a JSON object with keys login, register, reset_password, change_phone"],
      [{ RONGLIAN_TEMPLATE_IDS: JSON.stringify({ ...TEMPLATES, register: "SMS_1" }) }, "RONGLIAN_TEMPLATE_IDS.register: must be a numeric template id"],
      [{ RONGLIAN_TEMPLATE_IDS: JSON.stringify({ ...TEMPLATES, reset_password: undefined }) }, "RONGLIAN_TEMPLATE_IDS.reset_password: missing"],
      [{ RONGLIAN_BASE_URL: "app.cloopen.com:8883" }, "RONGLIAN_BASE_URL: must be an http(s) URL"],
      [{ RONGLIAN_BASE_URL: `https://app.cloopen.com:8883/?token=${TOKEN}` }, "RONGLIAN_BASE_URL: must not carry a query, fragment or credentials"],
    ];
    for (const [overrides, problem] of cases) {
      const setup = ronglianProvider({ ...complete, ...overrides });
      expect(setup).toEqual({ ok: false, problems: [problem] });
      expect(JSON.stringify(setup)).not.toContain(TOKEN);
    }
  });
});

describe("Ronglian phone numbers and validity", () => {
  it("sends mainland numbers as 11 digits and others as 00 + country code + number", () => {
    expect(ronglianPhoneNumber(mainland)).toBe("13800138000");
    expect(ronglianPhoneNumber(hongKong)).toBe("0085251234567");
    expect(ronglianPhoneNumber(unitedStates)).toBe("0012025550123");
  });

  it("rounds the validity up to whole minutes, at least one", () => {
    expect(validityMinutes(300)).toBe("5");
    expect(validityMinutes(301)).toBe("6");
    expect(validityMinutes(59)).toBe("1");
    expect(validityMinutes(0)).toBe("1");
  });
});

describe("Ronglian TemplateSMS request", () => {
  it("POSTs the JSON body with sig, Authorization and the exact headers", async () => {
    const { requests } = interceptFetch(() => json(okAnswer));
    const receipt = await createRonglianSender(settings(), fixedClock).send(message(mainland, { expiresInSeconds: 300 }), never());

    expect(receipt).toEqual({ provider: "ronglian", requestId: "ff8080813c373cab013c94b0f0512345" });
    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe(`https://app.cloopen.com:8883/2013-12-26/Accounts/${SID}/SMS/TemplateSMS?sig=63D3152DBF9999840B49A8660DA81999`);
    expect(Object.fromEntries(request.headers)).toEqual({
      accept: "application/json",
      "content-type": "application/json;charset=utf-8",
      authorization: "OGFhZjA3MDhhMWIyYzNkNGU1ZjZhN2I4YzlkMGUxZjI6MjAyNTAxMDEwMDMwMDU=",
    });
    expect(await request.text()).toBe(`{"to":"13800138000","appId":"${APP_ID}","templateId":"1001","datas":["${CODE}","5"]}`);
  });

  it("uses the purpose's template, the international number form and rounds minutes up", async () => {
    const { requests } = interceptFetch(() => json(okAnswer));
    await createRonglianSender(settings({ baseUrl: "https://sandboxapp.cloopen.com:8883" }), fixedClock).send(
      message(hongKong, { purpose: "change_phone", expiresInSeconds: 90 }),
      never(),
    );
    const request = requests[0]!;
    expect(new URL(request.url).origin).toBe("https://sandboxapp.cloopen.com:8883");
    expect(await request.json()).toEqual({ to: "0085251234567", appId: APP_ID, templateId: "1004", datas: [CODE, "2"] });
  });

  it("stamps the live clock in Beijing time and signs it when built from env", async () => {
    const { requests } = interceptFetch(() => json(okAnswer));
    const setup = ronglianProvider({
      RONGLIAN_ACCOUNT_SID: SID,
      RONGLIAN_AUTH_TOKEN: TOKEN,
      RONGLIAN_APP_ID: APP_ID,
      RONGLIAN_TEMPLATE_IDS: JSON.stringify(TEMPLATES),
    });
    if (!setup.ok) throw new Error(setup.problems.join("; "));
    const before = Date.now();
    await setup.sender.send(message(), never());

    const request = requests[0]!;
    const [sid, ts] = atob(request.headers.get("authorization")!).split(":") as [string, string];
    expect(sid).toBe(SID);
    expect(ts).toMatch(/^\d{14}$/);
    // Read the stamp back as a Beijing wall-clock time and compare it with the real instant.
    const stamped = Date.parse(`${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)}T${ts.slice(8, 10)}:${ts.slice(10, 12)}:${ts.slice(12, 14)}+08:00`);
    expect(Math.abs(stamped - before)).toBeLessThan(5_000);
    const md5 = hex(await crypto.subtle.digest("MD5", new TextEncoder().encode(SID + TOKEN + ts))).toUpperCase();
    expect(new URL(request.url).searchParams.get("sig")).toBe(md5);
  });
});

describe("Ronglian answers", () => {
  const send = (answer: Response) => {
    interceptFetch(() => answer);
    return createRonglianSender(settings(), fixedClock).send(message(), never());
  };

  it.each([
    ["sending too often", "160038", "minute"],
    ["the per-number daily limit of a template", "160039", "day"],
    ["the verification-code daily limit", "160040", "day"],
    ["the notification daily limit", "160041", "day"],
  ] as const)("maps %s (%s) to throttled with the %s window", async (_name, statusCode, window) => {
    const error = await rejection(send(json({ statusCode, statusMsg: "频率限制" })));
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error).toMatchObject({ provider: "ronglian", kind: "throttled", providerCode: statusCode, window });
  });

  const failures: [string, Response, "invalid_number" | "retryable" | "rejected", string][] = [
    ["a malformed number", json({ statusCode: "160042", statusMsg: "号码格式有误" }), "invalid_number", "160042"],
    ["an exhausted balance", json({ statusCode: "111142", statusMsg: "余额不足" }), "retryable", "111142"],
    ["a bad sig", json({ statusCode: "111109", statusMsg: "sig校验失败" }), "rejected", "111109"],
    ["an app not launched", json({ statusCode: "112310", statusMsg: "应用未上线" }), "rejected", "112310"],
    ["a numeric statusCode", json({ statusCode: 160032, statusMsg: "短信模板无效" }), "rejected", "160032"],
    ["a 500 page", new Response("Internal Server Error", { status: 500 }), "retryable", "http_500"],
    ["a 503 with Ronglian's JSON", json({ statusCode: "100699", statusMsg: "系统内部错误" }, 503), "retryable", "100699"],
    ["a 404 page", new Response("Not Found", { status: 404 }), "rejected", "http_404"],
    ["a 200 that is not JSON", new Response("<html></html>", { status: 200 }), "retryable", "unreadable_answer"],
  ];

  it.each(failures)("maps %s", async (_name, answer, kind, providerCode) => {
    const error = await rejection(send(answer));
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error).toMatchObject({ provider: "ronglian", kind, providerCode });
    const err = error as SmsDeliveryError;
    expect(err.message).toBe(`ronglian: ${providerCode}`);
    expect(err.message).not.toContain(CODE);
    expect(err.message).not.toContain(TOKEN);
  });

  it("turns a timeout (the signal aborting) into a retryable failure", async () => {
    interceptHangingFetch();
    const error = await rejection(createRonglianSender(settings(), fixedClock).send(message(), AbortSignal.timeout(20)));
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error).toMatchObject({ provider: "ronglian", kind: "retryable", providerCode: "timeout" });
  });

  it("turns a network error into a retryable failure", async () => {
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError(`connect ECONNREFUSED; body ${CODE}`));
    const error = await rejection(createRonglianSender(settings(), fixedClock).send(message(), never()));
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error).toMatchObject({ provider: "ronglian", kind: "retryable", providerCode: "network_error" });
    expect(String(error)).not.toContain(CODE);
  });
});
