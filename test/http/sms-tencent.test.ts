/**
 * Tencent Cloud SMS end to end: POST /v1/codes with SMS_PROVIDER=tencent (alone or in the failover
 * list), its API faked by intercepting fetch; the request's TC3 signature is recomputed here
 * independently, and the code Tencent received signs in.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureConsole, type ErrorBody, get, json, post, uniquePhone } from "../support/helpers";
import { hex } from "../support/intercept";
import { ALL_PROVIDERS_ENV, aliyunOk, budgetSpent, fakeProviders, TENCENT_ENV, tencentError, tencentOk, tencentStatus } from "../support/providers";

const output = captureConsole();
afterEach(() => {
  vi.restoreAllMocks();
  // No log line carries the secret or the provider's message text.
  for (const line of output.lines()) {
    expect(line).not.toContain(TENCENT_ENV.TENCENT_SECRET_KEY);
    expect(line).not.toContain("MESSAGE-TEXT");
  }
});

const utf8 = new TextEncoder();
const sha = async (text: string) => hex(await crypto.subtle.digest("SHA-256", utf8.encode(text)));
const mac = async (key: ArrayBuffer | Uint8Array, text: string) =>
  crypto.subtle.sign("HMAC", await crypto.subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]), utf8.encode(text));

const sendCode = (phone: string, env: Record<string, unknown>, purpose = "login") => post("/v1/codes", { phone, purpose }, { env });

describe("Tencent Cloud SMS", () => {
  it("sends the exact SendSms request, signed with TC3-HMAC-SHA256, and its code signs in", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ tencent: tencentOk });
    const budget = await budgetSpent();
    const response = await sendCode(phone, { SMS_PROVIDER: "tencent", ...TENCENT_ENV });
    expect(response.status).toBe(202);
    expect(fake.sent).toHaveLength(1);
    const { request, body, code } = fake.sent[0]!;

    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://tencent.test/");
    expect(JSON.parse(body)).toEqual({
      PhoneNumberSet: [phone],
      SmsSdkAppId: "1400006666",
      SignName: "腾讯云",
      TemplateId: "1110",
      TemplateParamSet: [code],
    });

    const headers = Object.fromEntries(request.headers);
    const timestamp = Number(headers["x-tc-timestamp"]);
    expect(Math.abs(timestamp * 1000 - Date.now())).toBeLessThan(60_000);
    const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
    const canonical = `POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:tencent.test\n\ncontent-type;host\n${await sha(body)}`;
    const toSign = `TC3-HMAC-SHA256\n${timestamp}\n${date}/sms/tc3_request\n${await sha(canonical)}`;
    const key = await mac(await mac(await mac(utf8.encode(`TC3${TENCENT_ENV.TENCENT_SECRET_KEY}`), date), "sms"), "tc3_request");
    expect(headers).toEqual({
      authorization: `TC3-HMAC-SHA256 Credential=${TENCENT_ENV.TENCENT_SECRET_ID}/${date}/sms/tc3_request, SignedHeaders=content-type;host, Signature=${hex(await mac(key, toSign))}`,
      "content-type": "application/json; charset=utf-8",
      "x-tc-action": "SendSms",
      "x-tc-version": "2021-01-11",
      "x-tc-timestamp": String(timestamp),
      "x-tc-region": "ap-guangzhou",
    });
    expect(await budgetSpent()).toBe(budget + 1);

    const login = await post("/v1/auth/sms-login", { phone, code });
    expect(login.status).toBe(200);
  });

  it("carries the minutes as {2} when TENCENT_TEMPLATE_PARAMS=code,minutes, and the purpose's template", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ tencent: tencentOk });
    const env = { SMS_PROVIDER: "tencent", ...TENCENT_ENV, TENCENT_TEMPLATE_PARAMS: "code,minutes", TENCENT_REGION: "ap-beijing", CODE_TTL_SECONDS: "600" };
    expect((await sendCode(phone, env)).status).toBe(202);
    const { request, body, code } = fake.sent[0]!;
    expect(JSON.parse(body)).toMatchObject({ TemplateId: "1110", TemplateParamSet: [code, "10"] });
    expect(request.headers.get("x-tc-region")).toBe("ap-beijing");
  });

  it("fails over from Tencent to Aliyun on a 5xx, and from Aliyun to Tencent", async () => {
    const phone = uniquePhone();
    let fake = fakeProviders({ tencent: () => new Response("bad gateway", { status: 502 }), aliyun: aliyunOk });
    expect((await sendCode(phone, { SMS_PROVIDER: "tencent,aliyun", ...ALL_PROVIDERS_ENV })).status).toBe(202);
    expect(fake.providers()).toEqual(["tencent", "aliyun"]);

    const other = uniquePhone();
    fake = fakeProviders({ aliyun: () => new Response("down", { status: 503 }), tencent: tencentOk });
    expect((await sendCode(other, { SMS_PROVIDER: "aliyun,tencent", ...ALL_PROVIDERS_ENV })).status).toBe(202);
    expect(fake.providers()).toEqual(["aliyun", "tencent"]);
    expect((await post("/v1/auth/sms-login", { phone: other, code: fake.code() })).status).toBe(200);
  });

  it("an invalid number (InvalidParameterValue.IncorrectPhoneNumber) is 400 invalid_phone without failover", async () => {
    const phone = uniquePhone();
    const fake = fakeProviders({ tencent: () => tencentStatus("InvalidParameterValue.IncorrectPhoneNumber"), aliyun: aliyunOk });
    const response = await sendCode(phone, { SMS_PROVIDER: "tencent,aliyun", ...ALL_PROVIDERS_ENV });
    expect(response.status).toBe(400);
    expect((await json<ErrorBody>(response)).error.code).toBe("invalid_phone");
    expect(fake.providers()).toEqual(["tencent"]);
  });

  it("a refusal of every provider is 502 sms_send_failed", async () => {
    const phone = uniquePhone();
    fakeProviders({ tencent: () => tencentError("AuthFailure.SignatureFailure") });
    const response = await sendCode(phone, { SMS_PROVIDER: "tencent", ...TENCENT_ENV });
    expect(response.status).toBe(502);
    expect((await json<ErrorBody>(response)).error.code).toBe("sms_send_failed");
  });

  it("a missing Tencent setting is named by /healthz and makes sending 503 sms_not_configured", async () => {
    const { TENCENT_SECRET_KEY: _secret, ...incomplete } = TENCENT_ENV;
    const env = { SMS_PROVIDER: "tencent", ...incomplete };
    const health = await get("/healthz", { env });
    expect(health.status).toBe(503);
    expect(await json(health)).toEqual({ ok: false, sms: { tencent: { ok: false, problems: ["TENCENT_SECRET_KEY: missing"] } } });
    const response = await sendCode(uniquePhone(), env);
    expect(response.status).toBe(503);
    expect((await json<ErrorBody>(response)).error.code).toBe("sms_not_configured");
  });
});
