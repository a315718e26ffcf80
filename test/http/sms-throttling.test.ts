/**
 * Provider throttling answered honestly (issue 15): a provider's per-number limit is 429
 * too_many_requests with a Retry-After that matches the provider's window, never a failover to
 * the next provider (which would defeat the limit) nor a 502. Nothing was delivered, so the
 * budget's SMS comes back, but the phone's cooldown stays. Account-level refusals still fail over
 * and are logged with the provider's code.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureConsole, type ErrorBody, json, post, uniquePhone } from "../support/helpers";
import {
  ALL_PROVIDERS_ENV,
  aliyunError,
  aliyunOk,
  budgetSpent,
  fakeProviders,
  phoneState,
  ronglianError,
  ronglianOk,
  tencentError,
  tencentOk,
  tencentStatus,
} from "../support/providers";
import { age } from "../support/time";

const output = captureConsole();
afterEach(() => {
  vi.restoreAllMocks();
  for (const line of output.lines()) expect(line).not.toContain("MESSAGE-TEXT");
});

const failedLogs = () => output.events("code.failed");

const sendCode = (phone: string, providers: string) =>
  post("/v1/codes", { phone, purpose: "login" }, { env: { ...ALL_PROVIDERS_ENV, SMS_PROVIDER: providers } });

/** Seconds until 00:00 in Beijing (UTC+8), computed here from the wall clock. */
function untilBeijingMidnight(): number {
  const beijing = new Date(Date.now() + 8 * 3600_000);
  const midnight = Date.UTC(beijing.getUTCFullYear(), beijing.getUTCMonth(), beijing.getUTCDate() + 1) - 8 * 3600_000;
  return (midnight - Date.now()) / 1000;
}

async function expectThrottled(response: Response, retryAfter: number, tolerance = 0): Promise<void> {
  expect(response.status).toBe(429);
  const body = await json<ErrorBody>(response.clone());
  expect(body.error.code).toBe("too_many_requests");
  const header = Number(response.headers.get("Retry-After"));
  expect(Math.abs(header - retryAfter)).toBeLessThanOrEqual(tolerance);
  expect(body.error.retryAfter).toBe(header);
}

describe("a provider's per-number limit is 429 with its window, and no other provider is asked", () => {
  it.each([
    ["Aliyun's minute limit", "触发分钟级流控Permits:1", 60],
    ["Aliyun's hour limit", "触发小时级流控Permits:5", 3600],
  ] as const)("%s → Retry-After %i", async (_name, message, retryAfter) => {
    const phone = uniquePhone();
    const fake = fakeProviders({
      aliyun: () => aliyunError("isv.BUSINESS_LIMIT_CONTROL", `${message} MESSAGE-TEXT`),
      ronglian: ronglianOk,
      tencent: tencentOk,
    });
    await expectThrottled(await sendCode(phone, "aliyun,ronglian,tencent"), retryAfter);
    expect(fake.providers()).toEqual(["aliyun"]);
    expect(fake.unexpected).toEqual([]);
    expect(failedLogs()).toEqual([
      expect.objectContaining({
        provider: "aliyun",
        providerCode: "isv.BUSINESS_LIMIT_CONTROL",
        kind: "throttled",
        providerRequestId: "REQ-aliyun-isv.BUSINESS_LIMIT_CONTROL",
      }),
    ]);
  });

  it("Aliyun's day limit → Retry-After until midnight in Beijing", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ aliyun: () => aliyunError("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10"), ronglian: ronglianOk });
    await expectThrottled(await sendCode(phone, "aliyun,ronglian"), Math.ceil(untilBeijingMidnight()), 3);
    expect(fake.providers()).toEqual(["aliyun"]);
  });

  it.each([
    ["LimitExceeded.PhoneNumberThirtySecondLimit", 30],
    ["LimitExceeded.PhoneNumberOneHourLimit", 3600],
  ] as const)("Tencent's %s → Retry-After %i", async (code, retryAfter) => {
    const phone = uniquePhone();
    const fake = fakeProviders({ tencent: () => tencentStatus(code), aliyun: aliyunOk });
    await expectThrottled(await sendCode(phone, "tencent,aliyun"), retryAfter);
    expect(fake.providers()).toEqual(["tencent"]);
    expect(failedLogs()).toEqual([expect.objectContaining({ provider: "tencent", providerCode: code, kind: "throttled" })]);
  });

  it("Tencent's LimitExceeded.PhoneNumberDailyLimit → until midnight in Beijing", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ tencent: () => tencentStatus("LimitExceeded.PhoneNumberDailyLimit"), ronglian: ronglianOk });
    await expectThrottled(await sendCode(phone, "tencent,ronglian"), Math.ceil(untilBeijingMidnight()), 3);
    expect(fake.providers()).toEqual(["tencent"]);
  });

  it.each([
    ["160038", 60],
    ["160040", -1],
  ] as const)("Ronglian's %s → its window", async (code, retryAfter) => {
    const phone = uniquePhone();
    const fake = fakeProviders({ ronglian: () => ronglianError(code), aliyun: aliyunOk });
    const response = await sendCode(phone, "ronglian,aliyun");
    if (retryAfter === -1) await expectThrottled(response, Math.ceil(untilBeijingMidnight()), 3);
    else await expectThrottled(response, retryAfter);
    expect(fake.providers()).toEqual(["ronglian"]);
  });
});

describe("a throttled send delivered nothing", () => {
  it("gives the budget's SMS back but keeps the phone's cooldown and count", async () => {
    const phone = uniquePhone();
    const budget = await budgetSpent();
    const fake = fakeProviders({ aliyun: () => aliyunError("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5") });
    await expectThrottled(await sendCode(phone, "aliyun"), 3600);
    expect(await budgetSpent()).toBe(budget);
    expect((await phoneState(phone))?.sends).toHaveLength(1);

    // The cooldown stands: an immediate retry is refused by our own limit, no provider is asked.
    const again = await sendCode(phone, "aliyun");
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("Retry-After"))).toBeLessThanOrEqual(60);
    expect(fake.sent).toHaveLength(1);
    expect(await budgetSpent()).toBe(budget);
  });

  it("leaves the previous, delivered code valid", async () => {
    const phone = uniquePhone();
    const first = fakeProviders({ tencent: tencentOk });
    expect((await sendCode(phone, "tencent")).status).toBe(202);
    const delivered = first.code();
    await age(phone, 61_000);

    const throttled = fakeProviders({ tencent: () => tencentStatus("LimitExceeded.PhoneNumberOneHourLimit") });
    await expectThrottled(await sendCode(phone, "tencent"), 3600);
    const undelivered = throttled.code();
    if (undelivered !== delivered) {
      const guess = await post("/v1/auth/sms-login", { phone, code: undelivered });
      expect((await json<ErrorBody>(guess)).error.code).toBe("invalid_code");
    }
    const login = await post("/v1/auth/sms-login", { phone, code: delivered });
    expect(login.status).toBe(200);
  });
});

describe("account-level refusals fail over, logged with the provider's code", () => {
  it.each([
    [
      "Tencent: unknown SecretId",
      "tencent,aliyun",
      { tencent: () => tencentError("AuthFailure.SecretIdNotFound"), aliyun: aliyunOk },
      "AuthFailure.SecretIdNotFound",
    ],
    [
      "Tencent: unapproved template",
      "tencent,ronglian",
      { tencent: () => tencentStatus("FailedOperation.TemplateIncorrectOrUnapproved"), ronglian: ronglianOk },
      "FailedOperation.TemplateIncorrectOrUnapproved",
    ],
    [
      "Tencent: empty package balance",
      "tencent,aliyun",
      { tencent: () => tencentStatus("FailedOperation.InsufficientBalanceInSmsPackage"), aliyun: aliyunOk },
      "FailedOperation.InsufficientBalanceInSmsPackage",
    ],
    [
      "Aliyun: no balance",
      "aliyun,tencent",
      { aliyun: () => aliyunError("isv.AMOUNT_NOT_ENOUGH", "MESSAGE-TEXT"), tencent: tencentOk },
      "isv.AMOUNT_NOT_ENOUGH",
    ],
    [
      "Aliyun: unapproved sign",
      "aliyun,tencent",
      { aliyun: () => aliyunError("isv.SMS_SIGNATURE_ILLEGAL", "MESSAGE-TEXT"), tencent: tencentOk },
      "isv.SMS_SIGNATURE_ILLEGAL",
    ],
    [
      "Aliyun: account-wide daily limit",
      "aliyun,ronglian",
      { aliyun: () => aliyunError("isv.DAY_LIMIT_CONTROL", "MESSAGE-TEXT"), ronglian: ronglianOk },
      "isv.DAY_LIMIT_CONTROL",
    ],
    ["Ronglian: no balance", "ronglian,tencent", { ronglian: () => ronglianError("111142"), tencent: tencentOk }, "111142"],
  ] as const)("%s", async (_name, providers, handlers, providerCode) => {
    const phone = uniquePhone();
    const fake = fakeProviders(handlers);
    const response = await sendCode(phone, providers);
    expect(response.status).toBe(202);
    expect(fake.providers()).toEqual(providers.split(","));
    const [first] = providers.split(",");
    expect(failedLogs()).toEqual([expect.objectContaining({ provider: first, providerCode, kind: expect.stringMatching(/^(retryable|rejected)$/) })]);
    const login = await post("/v1/auth/sms-login", { phone, code: fake.code() });
    expect(login.status).toBe(200);
  });
});
