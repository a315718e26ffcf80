import { afterEach, describe, expect, it, vi } from "vitest";
import { aliyunEncode, expectedAcs3Signature, hmacBytes } from "../support/aliyun-signing";
import { captureSms, type ErrorBody, json, post, signIn, uniqueIp, uniquePhone } from "../support/helpers";
import { interceptFetch, json as jsonAnswer } from "../support/intercept";

const sms = captureSms();

afterEach(() => {
  if (vi.isMockFunction(globalThis.fetch)) vi.mocked(globalThis.fetch).mockRestore();
});

const KEY_ID = "LTAI-one-tap-id";
const KEY_SECRET = "one-tap-AccessKey-Secret-xyz";
const ENDPOINT = "https://dypns.test";
const ON = { ONE_TAP_ENABLED: "true", ALIYUN_ACCESS_KEY_ID: KEY_ID, ALIYUN_ACCESS_KEY_SECRET: KEY_SECRET, ALIYUN_DYPNS_ENDPOINT: ENDPOINT };

// The expected signatures are recomputed independently of src/ (test/support/aliyun-signing.ts).
const expectedV3 = (request: Request) => expectedAcs3Signature(request, KEY_SECRET);

/** Signature V2: base64 HMAC-SHA1(secret + "&", "POST&%2F&" + aliyunEncode(sorted, encoded query without Signature)). */
async function expectedV2(request: Request): Promise<string> {
  const params = [...new URL(request.url).searchParams.entries()].filter(([name]) => name !== "Signature");
  const query = params
    .map(([k, v]) => [aliyunEncode(k), aliyunEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const mac = await hmacBytes(`${KEY_SECRET}&`, `POST&${aliyunEncode("/")}&${aliyunEncode(query)}`, "SHA-1");
  return btoa(String.fromCharCode(...new Uint8Array(mac)));
}

/** Aliyun answering every request with `body` (status 200 unless given). */
function aliyun(body: Record<string, unknown>, status = 200) {
  return interceptFetch(() => jsonAnswer({ RequestId: "REQ-1", ...body }, status));
}

const mobileOf = (e164: string) => e164.replace(/^\+86/, "");

describe("carrier one-tap", () => {
  it("is 404 while ONE_TAP_ENABLED is off (the default), whatever the body", async () => {
    const intercepted = interceptFetch(() => jsonAnswer({}));
    for (const body of [{ accessToken: "t" }, { spToken: "t" }, {}, "not json"]) {
      const response = await post("/v1/auth/one-tap", body);
      expect(response.status).toBe(404);
      expect((await json<ErrorBody>(response)).error.code).toBe("not_found");
    }
    expect(intercepted.requests).toHaveLength(0);
  });

  it("accessToken → GetMobile, signed with V3 exactly like SendSms; a new number registers", async () => {
    const phone = uniquePhone();
    const { requests } = aliyun({ Code: "OK", Message: "OK", GetMobileResultDTO: { Mobile: mobileOf(phone) } });
    const response = await post("/v1/auth/one-tap", { accessToken: "carrier-access-token+/=", outId: "order-42" }, { env: ON });
    expect(response.status).toBe(200);
    const body = await json<{ accessToken: string; user: { phone: string }; isNewUser: boolean }>(response);
    expect(body).toMatchObject({ isNewUser: true, user: { phone } });

    const [request] = requests;
    const url = new URL(request!.url);
    expect(request!.method).toBe("POST");
    expect(`${url.origin}${url.pathname}`).toBe(`${ENDPOINT}/`);
    expect(Object.fromEntries(url.searchParams)).toEqual({ AccessToken: "carrier-access-token+/=", OutId: "order-42" });
    expect(request!.headers.get("x-acs-action")).toBe("GetMobile");
    expect(request!.headers.get("x-acs-version")).toBe("2017-05-25");
    expect(request!.headers.get("authorization")).toBe(
      `ACS3-HMAC-SHA256 Credential=${KEY_ID},SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=${await expectedV3(request!)}`,
    );
    expect(await request!.text()).toBe("");
  });

  it("spToken → GetPhoneWithToken (Data.Mobile); an existing user signs in (isNewUser false)", async () => {
    const user = await signIn(sms);
    const { requests } = aliyun({ Code: "OK", Data: { Mobile: mobileOf(user.phone) } });
    const response = await post("/v1/auth/one-tap", { spToken: "h5-sp-token" }, { env: ON });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ isNewUser: false, user: { id: user.user.id } });
    expect(requests[0]!.headers.get("x-acs-action")).toBe("GetPhoneWithToken");
    expect(Object.fromEntries(new URL(requests[0]!.url).searchParams)).toEqual({ SpToken: "h5-sp-token" });
    expect(requests[0]!.headers.get("authorization")).toContain(`Signature=${await expectedV3(requests[0]!)}`);
  });

  it("with ALIYUN_SIGNATURE=v2 (as the SMS sender would sign) the request carries a V2 HMAC-SHA1 signature", async () => {
    const phone = uniquePhone();
    const { requests } = aliyun({ Code: "OK", GetMobileResultDTO: { Mobile: mobileOf(phone) } });
    const response = await post("/v1/auth/one-tap", { accessToken: "tok*en" }, { env: { ...ON, ALIYUN_SIGNATURE: "v2" } });
    expect(response.status).toBe(200);
    const params = new URL(requests[0]!.url).searchParams;
    expect(params.get("Action")).toBe("GetMobile");
    expect(params.get("Version")).toBe("2017-05-25");
    expect(params.get("AccessKeyId")).toBe(KEY_ID);
    expect(params.get("SignatureMethod")).toBe("HMAC-SHA1");
    expect(params.get("AccessToken")).toBe("tok*en");
    expect(params.get("Signature")).toBe(await expectedV2(requests[0]!));
    // The bare `*` is the classic signing slip: it must travel percent-encoded.
    expect(requests[0]!.url).toContain("tok%2Aen");
  });

  it.each([
    ["isv.TOKEN_INVALID", 200],
    ["isv.TOKEN_EXPIRED", 400],
  ])("a refused carrier token (%s) is 400 one_tap_token_invalid with fallback sms", async (code, status) => {
    aliyun({ Code: code, Message: "token invalid" }, status);
    const response = await post("/v1/auth/one-tap", { accessToken: "old" }, { env: ON });
    expect(response.status).toBe(400);
    const body = await json<ErrorBody & { error: { fallback?: string } }>(response);
    expect(body.error).toMatchObject({ code: "one_tap_token_invalid", fallback: "sms" });
  });

  it("Aliyun throttling is 429 with Retry-After", async () => {
    aliyun({ Code: "Throttling.User", Message: "Request was denied due to user flow control." }, 400);
    const response = await post("/v1/auth/one-tap", { accessToken: "t" }, { env: ON });
    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toBe("60");
  });

  it("other upstream failures are 502 one_tap_unavailable, with no fallback hint", async () => {
    const cases: (() => Response)[] = [
      () => jsonAnswer({ Code: "InternalError" }, 500),
      () => jsonAnswer({ Code: "InvalidAccessKeyId.NotFound" }, 404),
      () => jsonAnswer({ Code: "OK" }),
      () => new Response("<html>bad gateway</html>", { status: 502 }),
    ];
    for (const reply of cases) {
      interceptFetch(reply);
      const response = await post("/v1/auth/one-tap", { accessToken: "t" }, { env: ON });
      expect(response.status).toBe(502);
      const body = await json<ErrorBody & { error: { fallback?: string } }>(response);
      expect(body.error.code).toBe("one_tap_unavailable");
      expect(body.error.fallback).toBeUndefined();
    }
  });

  it("enabled without the Aliyun AccessKey pair is 503 one_tap_not_configured, naming no value", async () => {
    const intercepted = interceptFetch(() => jsonAnswer({}));
    const response = await post("/v1/auth/one-tap", { accessToken: "t" }, { env: { ...ON, ALIYUN_ACCESS_KEY_SECRET: "" } });
    expect(response.status).toBe(503);
    expect((await json<ErrorBody>(response)).error.code).toBe("one_tap_not_configured");
    expect(intercepted.requests).toHaveLength(0);
  });

  it("bodies with both tokens, neither, or junk are 400 invalid_request", async () => {
    interceptFetch(() => jsonAnswer({}));
    for (const body of [{}, { accessToken: "a", spToken: "b" }, { accessToken: "" }, { accessToken: "a", outId: "bad id!" }, { spToken: 1 }]) {
      expect((await post("/v1/auth/one-tap", body, { env: ON })).status, JSON.stringify(body)).toBe(400);
    }
  });

  it("counts against the per-address limit; the carrier token never appears in logs or answers", async () => {
    const phone = uniquePhone();
    aliyun({ Code: "OK", GetMobileResultDTO: { Mobile: mobileOf(phone) } });
    const ip = uniqueIp();
    const settings = { ...ON, IP_VERIFICATIONS_PER_HOUR: "1" };
    const ok = await post("/v1/auth/one-tap", { accessToken: "very-secret-carrier-token" }, { env: settings, ip });
    expect(ok.status).toBe(200);
    expect((await post("/v1/auth/one-tap", { accessToken: "very-secret-carrier-token" }, { env: settings, ip })).status).toBe(429);
    expect(`${await ok.text()}${sms.lines.join("\n")}`).not.toContain("very-secret-carrier-token");
    expect(sms.lines.join("\n")).not.toContain(KEY_SECRET);
  });
});
