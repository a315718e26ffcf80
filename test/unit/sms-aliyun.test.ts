import { afterEach, describe, expect, it, vi } from "vitest";
import { type AliyunSettings, aliyunPhoneNumber, aliyunProvider, createAliyunSender, parseAliyunSettings } from "../../src/sms/aliyun/sender";
import { SmsDeliveryError } from "../../src/sms/types";
import { aliyunEncode, expectedAcs3Signature, hmacBytes } from "../support/aliyun-signing";
import { CODE, hongKong, interceptFetch, interceptHangingFetch, json, mainland, message, never, rejection, unitedStates } from "../support/intercept";

afterEach(() => {
  vi.restoreAllMocks();
});

const SECRET = "s3cr3t-Aliyun-AccessKey-Secret";
const TEMPLATES = { login: "SMS_1001", register: "SMS_1002", reset_password: "SMS_1003", change_phone: "SMS_1004", reauthenticate: "SMS_1001" };

const settings = (overrides: Partial<AliyunSettings> = {}): AliyunSettings => ({
  endpoint: "https://dysmsapi.aliyuncs.com",
  accessKeyId: "LTAI-test-id",
  accessKeySecret: SECRET,
  signName: "阿里云短信测试",
  templateCodes: TEMPLATES,
  templateParamName: "code",
  signature: "v3",
  ...overrides,
});

const fixedClock = { now: () => new Date("2024-05-06T07:08:09.250Z"), nonce: () => "0123456789abcdef0123456789abcdef" };

const okAnswer = { Code: "OK", Message: "OK", BizId: "900619746936498440^0", RequestId: "F655A8D5-B967-440B-8683-DAD6FF8DE990" };

// The expected signatures are recomputed independently of src/ (test/support/aliyun-signing.ts).

describe("Aliyun settings", () => {
  const complete = {
    ALIYUN_ACCESS_KEY_ID: "LTAI-test-id",
    ALIYUN_ACCESS_KEY_SECRET: SECRET,
    ALIYUN_SIGN_NAME: "阿里云短信测试",
    ALIYUN_TEMPLATE_CODES: JSON.stringify(TEMPLATES),
  };

  it("takes the defaults: official endpoint, V3 signature, variable `code`", () => {
    const parsed = parseAliyunSettings(complete);
    expect(parsed).toEqual({
      ok: true,
      settings: {
        endpoint: "https://dysmsapi.aliyuncs.com",
        accessKeyId: "LTAI-test-id",
        accessKeySecret: SECRET,
        signName: "阿里云短信测试",
        templateCodes: TEMPLATES,
        templateParamName: "code",
        signature: "v3",
      },
    });
    const setup = aliyunProvider(complete);
    expect(setup.ok && setup.sender.name).toBe("aliyun");
  });

  it("reads the optional settings and trims pasted whitespace", () => {
    const parsed = parseAliyunSettings({
      ...complete,
      ALIYUN_ACCESS_KEY_SECRET: ` ${SECRET}\n`,
      // Plain http only outside production (unset ENVIRONMENT means production).
      ENVIRONMENT: "test",
      ALIYUN_ENDPOINT: "http://127.0.0.1:8787/",
      ALIYUN_SIGNATURE: "V2",
      ALIYUN_TEMPLATE_PARAM_NAME: "otp",
    });
    expect(parsed.ok && parsed.settings).toMatchObject({
      endpoint: "http://127.0.0.1:8787",
      accessKeySecret: SECRET,
      signature: "v2",
      templateParamName: "otp",
    });
  });

  it("names every missing setting", () => {
    const parsed = parseAliyunSettings({});
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems).toEqual([
      "ALIYUN_ACCESS_KEY_ID: missing",
      "ALIYUN_ACCESS_KEY_SECRET: missing",
      "ALIYUN_SIGN_NAME: missing",
      "ALIYUN_TEMPLATE_CODES: missing (a JSON object with keys login, register, reset_password, change_phone)",
    ]);
    expect(aliyunProvider({ ...complete, ALIYUN_SIGN_NAME: "  " })).toEqual({ ok: false, problems: ["ALIYUN_SIGN_NAME: missing"] });
  });

  it("names malformed settings without echoing their values", () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { ALIYUN_TEMPLATE_CODES: `{"login": "${SECRET}` },
        "ALIYUN_TEMPLATE_CODES: must be a JSON object with keys login, register, reset_password, change_phone",
      ],
      [{ ALIYUN_TEMPLATE_CODES: JSON.stringify({ ...TEMPLATES, change_phone: undefined }) }, "ALIYUN_TEMPLATE_CODES.change_phone: missing"],
      [
        { ALIYUN_TEMPLATE_CODES: JSON.stringify({ ...TEMPLATES, login: `${SECRET} x` }) },
        "ALIYUN_TEMPLATE_CODES.login: must be a template code such as SMS_123456789",
      ],
      [
        { ALIYUN_TEMPLATE_CODES: JSON.stringify({ ...TEMPLATES, signup: "SMS_9" }) },
        "ALIYUN_TEMPLATE_CODES: unknown purpose signup (expected login, register, reset_password, change_phone, reauthenticate)",
      ],
      [{ ALIYUN_SIGNATURE: "v4" }, "ALIYUN_SIGNATURE: must be v3 or v2"],
      [{ ALIYUN_ENDPOINT: "dysmsapi.aliyuncs.com" }, "ALIYUN_ENDPOINT: must be an absolute http(s) URL"],
      [{ ALIYUN_ENDPOINT: "ftp://dysmsapi.aliyuncs.com" }, "ALIYUN_ENDPOINT: must be an http(s) URL"],
      [{ ALIYUN_ENDPOINT: "https://proxy.example.com/aliyun" }, "ALIYUN_ENDPOINT: must be an origin such as https://host[:port], without a path"],
      [{ ALIYUN_ENDPOINT: `https://id:${SECRET}@proxy.example.com` }, "ALIYUN_ENDPOINT: must not carry a query, fragment or credentials"],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text ${code} is the bad setting under test
      [{ ALIYUN_TEMPLATE_PARAM_NAME: "${code}" }, "ALIYUN_TEMPLATE_PARAM_NAME: must be a template variable name such as code"],
      [{ ALIYUN_ACCESS_KEY_ID: { nested: true } }, "ALIYUN_ACCESS_KEY_ID: must be a string"],
    ];
    for (const [overrides, problem] of cases) {
      const setup = aliyunProvider({ ...complete, ...overrides });
      expect(setup).toEqual({ ok: false, problems: [problem] });
      expect(JSON.stringify(setup)).not.toContain(SECRET);
    }
  });
});

describe("Aliyun phone numbers", () => {
  it("sends mainland numbers as 11 digits and others with their country code, without +", () => {
    expect(aliyunPhoneNumber(mainland)).toBe("13800138000");
    expect(aliyunPhoneNumber(hongKong)).toBe("85251234567");
    expect(aliyunPhoneNumber(unitedStates)).toBe("12025550123");
  });
});

describe("Aliyun SendSms request, signature V3", () => {
  it("POSTs the parameters in the query with an empty body and the ACS3 headers", async () => {
    const { requests } = interceptFetch(() => json(okAnswer));
    const receipt = await createAliyunSender(settings(), fixedClock).send(message(), never());

    expect(receipt).toEqual({ provider: "aliyun", requestId: "900619746936498440^0" });
    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe(
      "https://dysmsapi.aliyuncs.com/?PhoneNumbers=13800138000" +
        "&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95" +
        "&TemplateCode=SMS_1001&TemplateParam=%7B%22code%22%3A%22482913%22%7D",
    );
    expect(await request.text()).toBe("");
    const signature = await expectedAcs3Signature(request, SECRET);
    expect(Object.fromEntries(request.headers)).toEqual({
      accept: "application/json",
      authorization: `ACS3-HMAC-SHA256 Credential=LTAI-test-id,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=${signature}`,
      "x-acs-action": "SendSms",
      "x-acs-version": "2017-05-25",
      "x-acs-date": "2024-05-06T07:08:09Z",
      "x-acs-signature-nonce": "0123456789abcdef0123456789abcdef",
      "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    });
  });

  it("picks the purpose's template, the configured variable name and the international number form", async () => {
    const { requests } = interceptFetch(() => json(okAnswer));
    await createAliyunSender(settings({ templateParamName: "otp" }), fixedClock).send(message(hongKong, { purpose: "reset_password" }), never());
    const query = new URL(requests[0]!.url).searchParams;
    expect(query.get("PhoneNumbers")).toBe("85251234567");
    expect(query.get("TemplateCode")).toBe("SMS_1003");
    expect(query.get("TemplateParam")).toBe('{"otp":"482913"}');
  });

  it("sends a notice with its own template and no TemplateParam, and only when one is configured", async () => {
    const { requests } = interceptFetch(() => json(okAnswer));
    const plain = createAliyunSender(settings(), fixedClock);
    expect(plain.notices.has("phone_changed")).toBe(false);
    const sender = createAliyunSender(settings({ templateCodes: { ...TEMPLATES, phone_changed: "SMS_2001" } }), fixedClock);
    expect(sender.notices.has("phone_changed")).toBe(true);
    await sender.notify(mainland, "phone_changed", never());
    const query = new URL(requests[0]!.url).searchParams;
    expect(Object.fromEntries(query)).toEqual({ PhoneNumbers: "13800138000", SignName: "阿里云短信测试", TemplateCode: "SMS_2001" });
    expect(await expectedAcs3Signature(requests[0]!, SECRET)).toBe(/Signature=([0-9a-f]+)/.exec(requests[0]!.headers.get("authorization")!)![1]);
  });

  it("signs with the live clock, a fresh nonce and the endpoint's host:port when built from env", async () => {
    const { requests } = interceptFetch(() => json(okAnswer));
    const setup = aliyunProvider({
      ENVIRONMENT: "test",
      ALIYUN_ENDPOINT: "http://127.0.0.1:9999",
      ALIYUN_ACCESS_KEY_ID: "LTAI-test-id",
      ALIYUN_ACCESS_KEY_SECRET: SECRET,
      ALIYUN_SIGN_NAME: "Test",
      ALIYUN_TEMPLATE_CODES: JSON.stringify(TEMPLATES),
    });
    if (!setup.ok) throw new Error(setup.problems.join("; "));
    await setup.sender.send(message(), never());
    await setup.sender.send(message(), never());

    const [first, second] = requests as [Request, Request];
    expect(new URL(first.url).origin).toBe("http://127.0.0.1:9999");
    const date = first.headers.get("x-acs-date")!;
    expect(date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(60_000);
    expect(first.headers.get("x-acs-signature-nonce")).toMatch(/^[0-9a-f]{32}$/);
    expect(second.headers.get("x-acs-signature-nonce")).not.toBe(first.headers.get("x-acs-signature-nonce"));
    expect(first.headers.get("authorization")).toBe(
      `ACS3-HMAC-SHA256 Credential=LTAI-test-id,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=${await expectedAcs3Signature(first, SECRET)}`,
    );
  });
});

describe("Aliyun SendSms request, signature V2", () => {
  it("POSTs every common parameter and the HMAC-SHA1 Signature in the query", async () => {
    const { requests } = interceptFetch(() => json(okAnswer));
    await createAliyunSender(settings({ signature: "v2" }), fixedClock).send(message(unitedStates, { purpose: "register" }), never());

    const request = requests[0]!;
    expect(request.method).toBe("POST");
    expect(await request.text()).toBe("");
    expect(Object.fromEntries(request.headers)).toEqual({ accept: "application/json" });
    const url = new URL(request.url);
    expect(url.origin + url.pathname).toBe("https://dysmsapi.aliyuncs.com/");
    const params = Object.fromEntries(url.searchParams);
    const { Signature: signature, ...signed } = params;
    expect(signed).toEqual({
      AccessKeyId: "LTAI-test-id",
      Action: "SendSms",
      Format: "JSON",
      PhoneNumbers: "12025550123",
      SignName: "阿里云短信测试",
      SignatureMethod: "HMAC-SHA1",
      SignatureNonce: "0123456789abcdef0123456789abcdef",
      SignatureVersion: "1.0",
      TemplateCode: "SMS_1002",
      TemplateParam: '{"code":"482913"}',
      Timestamp: "2024-05-06T07:08:09Z",
      Version: "2017-05-25",
    });
    const query = Object.keys(signed)
      .sort()
      .map((k) => `${aliyunEncode(k)}=${aliyunEncode(signed[k]!)}`)
      .join("&");
    // The query is sent exactly as signed, with the Signature appended last.
    expect(url.search).toBe(`?${query}&Signature=${aliyunEncode(signature!)}`);
    const stringToSign = `POST&%2F&${aliyunEncode(query)}`;
    const expected = btoa(String.fromCharCode(...new Uint8Array(await hmacBytes(`${SECRET}&`, stringToSign, "SHA-1"))));
    expect(signature).toBe(expected);
  });
});

describe("Aliyun answers", () => {
  const send = (answer: Response) => {
    interceptFetch(() => answer);
    return createAliyunSender(settings(), fixedClock).send(message(), never());
  };

  const failures: [string, Response, "invalid_number" | "retryable" | "rejected", string, string | undefined][] = [
    [
      "an illegal number",
      json({ Code: "isv.MOBILE_NUMBER_ILLEGAL", Message: "非法手机号", RequestId: "R1" }),
      "invalid_number",
      "isv.MOBILE_NUMBER_ILLEGAL",
      "R1",
    ],
    ["the daily limit", json({ Code: "isv.DAY_LIMIT_CONTROL", Message: "触发日发送限额", RequestId: "R3" }), "retryable", "isv.DAY_LIMIT_CONTROL", "R3"],
    ["an empty balance", json({ Code: "isv.AMOUNT_NOT_ENOUGH", Message: "账户余额不足", RequestId: "R4" }), "retryable", "isv.AMOUNT_NOT_ENOUGH", "R4"],
    [
      "a missing template variable",
      json({ Code: "isv.TEMPLATE_MISSING_PARAMETERS", Message: "模板缺少变量", RequestId: "R5" }),
      "rejected",
      "isv.TEMPLATE_MISSING_PARAMETERS",
      "R5",
    ],
    [
      "an illegal signature name",
      json({ Code: "isv.SMS_SIGNATURE_ILLEGAL", Message: "签名不合法", RequestId: "R6" }),
      "rejected",
      "isv.SMS_SIGNATURE_ILLEGAL",
      "R6",
    ],
    ["an unknown business code", json({ Code: "isv.SOMETHING_NEW", Message: "?", RequestId: "R7" }), "rejected", "isv.SOMETHING_NEW", "R7"],
    [
      "a bad request signature (400)",
      json({ Code: "SignatureDoesNotMatch", Message: "Specified signature is not matched with our calculation.", RequestId: "R8" }, 400),
      "rejected",
      "SignatureDoesNotMatch",
      "R8",
    ],
    [
      "an unknown access key (404)",
      json({ Code: "InvalidAccessKeyId.NotFound", Message: "Specified access key is not found.", RequestId: "R9" }, 404),
      "rejected",
      "InvalidAccessKeyId.NotFound",
      "R9",
    ],
    [
      "an expired timestamp (400)",
      json({ Code: "InvalidTimeStamp.Expired", Message: "Specified time stamp or date value is expired.", RequestId: "R10" }, 400),
      "rejected",
      "InvalidTimeStamp.Expired",
      "R10",
    ],
    [
      "gateway throttling (400 Throttling.User)",
      json({ Code: "Throttling.User", Message: "Request was denied due to user flow control.", RequestId: "R11" }, 400),
      "retryable",
      "Throttling.User",
      "R11",
    ],
    [
      "a 503 with Aliyun's JSON",
      json({ Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server.", RequestId: "R12" }, 503),
      "retryable",
      "ServiceUnavailable",
      "R12",
    ],
    ["a 500 with an unknown code", json({ Code: "UnknownError", RequestId: "R13" }, 500), "retryable", "UnknownError", "R13"],
    ["a 502 HTML page", new Response("<html>Bad gateway</html>", { status: 502 }), "retryable", "http_502", undefined],
    ["a 429 without a body", new Response(null, { status: 429 }), "retryable", "http_429", undefined],
    ["a 403 HTML page", new Response("<html>Forbidden</html>", { status: 403 }), "rejected", "http_403", undefined],
    ["a 200 that is not JSON", new Response("<xml/>", { status: 200 }), "retryable", "unreadable_answer", undefined],
  ];

  it.each(failures)("maps %s", async (_name, answer, kind, providerCode, requestId) => {
    const error = await rejection(send(answer));
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error).toMatchObject({ provider: "aliyun", kind, providerCode, requestId });
    // Neither the code nor the secret nor the provider's message text leaks into the error.
    const err = error as SmsDeliveryError;
    expect(`${err.message} ${err.providerCode}`).not.toContain(CODE);
    expect(`${err.message} ${err.providerCode}`).not.toContain(SECRET);
    expect(err.message).toBe(`aliyun: ${providerCode}`);
  });

  it.each([
    ["触发分钟级流控Permits:1", "minute"],
    ["触发小时级流控Permits:5", "hour"],
    ["触发天级流控Permits:10", "day"],
    ["Triggered hour-level flow control", "hour"],
    ["Triggered day-level flow control", "day"],
    ["触发业务流控", "minute"],
    [undefined, "minute"],
  ] as const)("maps the per-number flow control %s to throttled (%s window), the message never in the error", async (text, window) => {
    const error = await rejection(send(json({ Code: "isv.BUSINESS_LIMIT_CONTROL", Message: text, RequestId: "R2" })));
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error).toMatchObject({ provider: "aliyun", kind: "throttled", providerCode: "isv.BUSINESS_LIMIT_CONTROL", requestId: "R2", window });
    expect((error as SmsDeliveryError).message).toBe("aliyun: isv.BUSINESS_LIMIT_CONTROL");
  });

  it("falls back to RequestId when the answer has no BizId", async () => {
    expect(await send(json({ Code: "OK", RequestId: "R-only" }))).toEqual({ provider: "aliyun", requestId: "R-only" });
  });

  it("turns a timeout (the signal aborting) into a retryable failure", async () => {
    interceptHangingFetch();
    const error = await rejection(createAliyunSender(settings(), fixedClock).send(message(), AbortSignal.timeout(20)));
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error).toMatchObject({ provider: "aliyun", kind: "retryable", providerCode: "timeout" });
  });

  it("turns an already aborted signal into a retryable timeout without waiting", async () => {
    interceptHangingFetch();
    const error = await rejection(createAliyunSender(settings(), fixedClock).send(message(), AbortSignal.abort()));
    expect(error).toMatchObject({ provider: "aliyun", kind: "retryable", providerCode: "timeout" });
  });

  it("turns a network error into a retryable failure without the URL (which holds the code)", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      throw new TypeError(`Network connection lost while fetching ${String(input instanceof Request ? input.url : input)}`);
    });
    const error = await rejection(createAliyunSender(settings(), fixedClock).send(message(), never()));
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error).toMatchObject({ provider: "aliyun", kind: "retryable", providerCode: "network_error" });
    expect(String(error)).not.toContain(CODE);
    expect((error as Error).cause).toBeUndefined();
  });
});
