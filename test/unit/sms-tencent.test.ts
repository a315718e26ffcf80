import { afterEach, describe, expect, it, vi } from "vitest";
import { classifyTencent } from "../../src/sms/tencent/errors";
import { createTencentSender, parseTencentSettings, type TencentSettings, tencentProvider } from "../../src/sms/tencent/sender";
import { signTc3, tc3Date } from "../../src/sms/tencent/signing";
import { secondsUntilBeijingMidnight, throttleRetryAfter } from "../../src/sms/throttle";
import { SmsDeliveryError } from "../../src/sms/types";
import { CODE, hex, hongKong, interceptFetch, interceptHangingFetch, json, mainland, message, never, rejection } from "../support/intercept";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("TC3-HMAC-SHA256: Tencent Cloud's published example (CVM DescribeInstances)", () => {
  // From Tencent Cloud's "Signature v3" (签名方法 v3) documentation of the CVM API
  // (cloud.tencent.com/document/api/213/30654): POST to cvm.tencentcloudapi.com at timestamp
  // 1551113065 with this exact body (the \u escapes are literal characters of the body), and the
  // intermediate hashes and final signature the page publishes.
  const example = {
    service: "cvm",
    host: "cvm.tencentcloudapi.com",
    payload: String.raw`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`,
    contentType: "application/json; charset=utf-8",
    timestamp: 1551113065,
    secretId: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
    secretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
  };

  it("builds the documented canonical request, its hash and the string to sign", async () => {
    const signed = await signTc3(example);
    expect(signed.canonicalRequest).toBe(
      "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n" +
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064",
    );
    expect(signed.hashedCanonicalRequest).toBe("5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
    expect(signed.credentialScope).toBe("2019-02-25/cvm/tc3_request");
    expect(signed.stringToSign).toBe(
      "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
    );
  });

  it("reproduces the documented signature and Authorization", async () => {
    const signed = await signTc3(example);
    expect(signed.signature).toBe("72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
    expect(signed.authorization).toBe(
      "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, " +
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
    );
  });

  it("dates the scope in UTC: 1551113065 is 2019-02-26 00:44:25 in Beijing but 2019-02-25 in the scope", () => {
    expect(tc3Date(1551113065)).toBe("2019-02-25");
    expect(tc3Date(Date.UTC(2024, 11, 31, 23, 59, 59) / 1000)).toBe("2024-12-31");
    expect(tc3Date(Date.UTC(2025, 0, 1, 0, 0, 0) / 1000)).toBe("2025-01-01");
  });
});

const TEMPLATES = { login: "1110", register: "1111", reset_password: "1112", change_phone: "1113", reauthenticate: "1110" };
const SECRET_KEY = "tencent-SecretKey-Zq8Wx2Vn5Lp7";

const settings = (overrides: Partial<TencentSettings> = {}): TencentSettings => ({
  endpoint: "https://sms.tencentcloudapi.com",
  secretId: "AKIDtencentSecretId0001",
  secretKey: SECRET_KEY,
  sdkAppId: "1400006666",
  signName: "腾讯云",
  templateIds: TEMPLATES,
  region: "ap-guangzhou",
  templateParams: "code",
  ...overrides,
});

// 2024-12-31T16:30:05Z: 2025-01-01 in Beijing, 2024-12-31 in the UTC credential scope.
const fixedClock = { now: () => new Date("2024-12-31T16:30:05.900Z"), nonce: () => "unused" };
const okAnswer = {
  Response: {
    SendStatusSet: [{ SerialNo: "5000:1045710669157053657849499619", PhoneNumber: "+8613800138000", Fee: 1, Code: "Ok", Message: "send success" }],
    RequestId: "a0aabda6-cf91-4f3e-a81f-9198114a2279",
  },
};

describe("Tencent settings", () => {
  const complete = {
    TENCENT_SECRET_ID: "AKIDtencentSecretId0001",
    TENCENT_SECRET_KEY: SECRET_KEY,
    TENCENT_SMS_SDK_APP_ID: "1400006666",
    TENCENT_SIGN_NAME: "腾讯云",
    TENCENT_TEMPLATE_IDS: JSON.stringify({ ...TEMPLATES, login: 1110 }),
  };

  it("defaults the endpoint, region and template parameters", () => {
    const parsed = parseTencentSettings(complete);
    expect(parsed).toEqual({ ok: true, settings: settings() });
  });

  it("accepts code,minutes, another region and a test endpoint", () => {
    const parsed = parseTencentSettings({
      ...complete,
      TENCENT_TEMPLATE_PARAMS: "code, minutes",
      TENCENT_REGION: "ap-beijing",
      TENCENT_ENDPOINT: "http://localhost:9999/",
      ENVIRONMENT: "test",
    });
    expect(parsed).toMatchObject({ ok: true, settings: { templateParams: "code,minutes", region: "ap-beijing", endpoint: "http://localhost:9999" } });
  });

  it("refuses a plain-http endpoint in production (unset ENVIRONMENT counts as production)", () => {
    for (const environment of [{}, { ENVIRONMENT: "production" }]) {
      const parsed = parseTencentSettings({ ...complete, ...environment, TENCENT_ENDPOINT: "http://sms.tencentcloudapi.com" });
      expect(parsed).toEqual({ ok: false, problems: ["TENCENT_ENDPOINT: must be an https URL in production"] });
    }
  });

  it("names every missing setting", () => {
    const parsed = parseTencentSettings({});
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems;
    for (const name of ["TENCENT_SECRET_ID", "TENCENT_SECRET_KEY", "TENCENT_SMS_SDK_APP_ID", "TENCENT_SIGN_NAME", "TENCENT_TEMPLATE_IDS"]) {
      expect(
        problems.some((p) => p.startsWith(`${name}:`)),
        name,
      ).toBe(true);
    }
  });

  it("names malformed settings without echoing their values", () => {
    const parsed = parseTencentSettings({
      ...complete,
      TENCENT_SMS_SDK_APP_ID: "app-secret-looking",
      TENCENT_TEMPLATE_PARAMS: "code,minutes,extra",
      TENCENT_ENDPOINT: "https://sms.example/prefix",
      TENCENT_TEMPLATE_IDS: '{"login":"SMS_secret"}',
    });
    expect(parsed.ok).toBe(false);
    const text = parsed.ok ? "" : parsed.problems.join("; ");
    expect(text).toContain("TENCENT_SMS_SDK_APP_ID");
    expect(text).toContain("TENCENT_TEMPLATE_PARAMS");
    expect(text).toContain("TENCENT_ENDPOINT");
    expect(text).toContain("TENCENT_TEMPLATE_IDS");
    expect(text).not.toContain("app-secret-looking");
    expect(text).not.toContain("SMS_secret");
  });
});

describe("Tencent SendSms request", () => {
  it("POSTs the exact body and headers, signed with TC3-HMAC-SHA256 (recomputed here independently)", async () => {
    const { requests } = interceptFetch(() => json(okAnswer));
    const receipt = await createTencentSender(settings(), fixedClock).send(message(mainland), never());
    expect(receipt).toEqual({ provider: "tencent", requestId: "5000:1045710669157053657849499619" });

    const request = requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://sms.tencentcloudapi.com/");
    const body = await request.text();
    expect(body).toBe(
      `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1400006666","SignName":"腾讯云","TemplateId":"1110","TemplateParamSet":["${CODE}"]}`,
    );

    // The signature, step by step from Tencent's documentation, with crypto.subtle only.
    const utf8 = new TextEncoder();
    const sha = async (text: string) => hex(await crypto.subtle.digest("SHA-256", utf8.encode(text)));
    const mac = async (key: ArrayBuffer | Uint8Array, text: string) =>
      crypto.subtle.sign(
        "HMAC",
        await crypto.subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
        utf8.encode(text),
      );
    const canonical = `POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:sms.tencentcloudapi.com\n\ncontent-type;host\n${await sha(body)}`;
    const toSign = `TC3-HMAC-SHA256\n1735662605\n2024-12-31/sms/tc3_request\n${await sha(canonical)}`;
    const key = await mac(await mac(await mac(utf8.encode(`TC3${SECRET_KEY}`), "2024-12-31"), "sms"), "tc3_request");
    const signature = hex(await mac(key, toSign));

    expect(Object.fromEntries(request.headers)).toEqual({
      authorization: `TC3-HMAC-SHA256 Credential=AKIDtencentSecretId0001/2024-12-31/sms/tc3_request, SignedHeaders=content-type;host, Signature=${signature}`,
      "content-type": "application/json; charset=utf-8",
      "x-tc-action": "SendSms",
      "x-tc-version": "2021-01-11",
      "x-tc-timestamp": "1735662605",
      "x-tc-region": "ap-guangzhou",
    });
  });

  it("sends the purpose's template, E.164 for international numbers, and the minutes when configured", async () => {
    const { requests } = interceptFetch(() => json(okAnswer));
    await createTencentSender(settings({ templateParams: "code,minutes" }), fixedClock).send(
      message(hongKong, { purpose: "reset_password", expiresInSeconds: 150 }),
      never(),
    );
    expect(await requests[0]!.json()).toMatchObject({ PhoneNumberSet: ["+85251234567"], TemplateId: "1112", TemplateParamSet: [CODE, "3"] });
  });

  it("is built from env by the provider factory", async () => {
    const setup = tencentProvider({
      TENCENT_SECRET_ID: "id",
      TENCENT_SECRET_KEY: "key",
      TENCENT_SMS_SDK_APP_ID: "1400000000",
      TENCENT_SIGN_NAME: "签名",
      TENCENT_TEMPLATE_IDS: JSON.stringify(TEMPLATES),
    });
    expect(setup.ok).toBe(true);
    expect(tencentProvider({}).ok).toBe(false);
  });
});

describe("Tencent answers", () => {
  const send = (answer: Response) => {
    interceptFetch(() => answer);
    return createTencentSender(settings(), fixedClock).send(message(), never());
  };
  const perNumber = (code: string) =>
    json({ Response: { SendStatusSet: [{ SerialNo: "", PhoneNumber: "+8613800138000", Fee: 0, Code: code, Message: "MESSAGE-TEXT" }], RequestId: "RQ" } });
  const topLevel = (code: string, status = 200) => json({ Response: { Error: { Code: code, Message: "MESSAGE-TEXT" }, RequestId: "RQ" } }, status);

  it.each([
    ["LimitExceeded.PhoneNumberThirtySecondLimit", "30s"],
    ["LimitExceeded.PhoneNumberOneHourLimit", "hour"],
    ["LimitExceeded.PhoneNumberDailyLimit", "day"],
    ["LimitExceeded.PhoneNumberSameContentDailyLimit", "day"],
    ["LimitExceeded.DeliveryFrequencyLimit", "minute"],
  ] as const)("maps the per-number limit %s to throttled (%s), from SendStatusSet or Response.Error", async (code, window) => {
    for (const answer of [perNumber(code), topLevel(code)]) {
      const error = await rejection(send(answer));
      expect(error).toBeInstanceOf(SmsDeliveryError);
      expect(error).toMatchObject({ provider: "tencent", kind: "throttled", providerCode: code, requestId: "RQ", window });
    }
  });

  const failures: [string, Response, "invalid_number" | "retryable" | "rejected", string][] = [
    ["a malformed number", perNumber("InvalidParameterValue.IncorrectPhoneNumber"), "invalid_number", "InvalidParameterValue.IncorrectPhoneNumber"],
    ["an empty package balance", perNumber("FailedOperation.InsufficientBalanceInSmsPackage"), "retryable", "FailedOperation.InsufficientBalanceInSmsPackage"],
    ["the application's daily cap", topLevel("LimitExceeded.AppDailyLimit"), "retryable", "LimitExceeded.AppDailyLimit"],
    ["the mainland daily cap", topLevel("LimitExceeded.AppMainlandChinaDailyLimit"), "retryable", "LimitExceeded.AppMainlandChinaDailyLimit"],
    ["an API rate limit", topLevel("RequestLimitExceeded"), "retryable", "RequestLimitExceeded"],
    ["an internal error", topLevel("InternalError.Timeout"), "retryable", "InternalError.Timeout"],
    ["a bad signature", topLevel("AuthFailure.SignatureFailure"), "rejected", "AuthFailure.SignatureFailure"],
    ["an unknown SecretId", topLevel("AuthFailure.SecretIdNotFound"), "rejected", "AuthFailure.SecretIdNotFound"],
    ["an unapproved sign", perNumber("FailedOperation.SignatureIncorrectOrUnapproved"), "rejected", "FailedOperation.SignatureIncorrectOrUnapproved"],
    ["an unapproved template", perNumber("FailedOperation.TemplateIncorrectOrUnapproved"), "rejected", "FailedOperation.TemplateIncorrectOrUnapproved"],
    ["too many numbers (not a per-number limit)", topLevel("LimitExceeded.PhoneNumberCountLimit"), "rejected", "LimitExceeded.PhoneNumberCountLimit"],
    ["a 502 page", new Response("<html>Bad gateway</html>", { status: 502 }), "retryable", "http_502"],
    ["a 503 with Tencent's JSON and an unknown code", topLevel("Something.New", 503), "retryable", "Something.New"],
    ["a 200 without a status", json({ Response: { SendStatusSet: [], RequestId: "RQ" } }), "retryable", "unreadable_answer"],
    ["a 200 that is not JSON", new Response("<xml/>", { status: 200 }), "retryable", "unreadable_answer"],
  ];

  it.each(failures)("maps %s", async (_name, answer, kind, providerCode) => {
    const error = await rejection(send(answer));
    expect(error).toBeInstanceOf(SmsDeliveryError);
    expect(error).toMatchObject({ provider: "tencent", kind, providerCode });
    const err = error as SmsDeliveryError;
    expect(err.message).toBe(`tencent: ${providerCode}`);
    expect(err.message).not.toContain(CODE);
    expect(err.message).not.toContain(SECRET_KEY);
    expect(err.message).not.toContain("MESSAGE-TEXT");
  });

  it("turns a timeout into a retryable failure", async () => {
    interceptHangingFetch();
    const error = await rejection(createTencentSender(settings(), fixedClock).send(message(), AbortSignal.timeout(20)));
    expect(error).toMatchObject({ provider: "tencent", kind: "retryable", providerCode: "timeout" });
  });

  it("classifies by code only", () => {
    expect(classifyTencent("LimitExceeded.PhoneNumberDailyLimit")).toEqual({ kind: "throttled", window: "day" });
    expect(classifyTencent("constructor")).toEqual({ kind: "rejected" });
  });
});

describe("throttle windows", () => {
  it("answers 30, 60 and 3600 seconds for the short windows", () => {
    const now = new Date("2025-03-01T10:00:00Z");
    expect(throttleRetryAfter("30s", now)).toBe(30);
    expect(throttleRetryAfter("minute", now)).toBe(60);
    expect(throttleRetryAfter("hour", now)).toBe(3600);
  });

  it("counts a day until midnight in Beijing (UTC+8), whatever the runtime's zone", () => {
    // 15:59:00Z is 23:59:00 in Beijing: one minute to midnight.
    expect(secondsUntilBeijingMidnight(new Date("2025-03-01T15:59:00Z"))).toBe(60);
    // 16:00:00Z is midnight in Beijing: a whole day until the next one.
    expect(secondsUntilBeijingMidnight(new Date("2025-03-01T16:00:00Z"))).toBe(86400);
    // 00:00:00Z is 08:00 in Beijing: 16 hours left.
    expect(throttleRetryAfter("day", new Date("2025-03-02T00:00:00Z"))).toBe(16 * 3600);
    expect(secondsUntilBeijingMidnight(new Date("2025-03-01T15:59:59.500Z"))).toBe(1);
  });
});
