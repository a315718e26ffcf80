/**
 * Issue 10 item 6: a guess from an address over its verification limit is refused without being
 * evaluated: a right and a wrong guess answer identically, neither counts against the phone, and
 * the right code stays usable.
 */
import { describe, expect, it } from "vitest";
import { captureSms, type ErrorBody, json, post, requestCode, uniqueIp, uniquePhone, wrongCode } from "../support/helpers";

const sms = captureSms();

async function exhaust(ip: string) {
  for (let i = 0; i < 30; i += 1) await post("/v1/codes/verify", { phone: uniquePhone(), purpose: "login", code: "123456" }, { ip });
}

const shape = async (response: Response) => {
  const { error } = await json<ErrorBody>(response);
  return { status: response.status, code: error.code, attemptsLeft: error.attemptsLeft, retryAfter: typeof error.retryAfter };
};

describe("a guess over the address limit", () => {
  for (const path of ["/v1/codes/verify", "/v1/auth/sms-login"] as const) {
    it(`is not evaluated (${path}): right and wrong answer alike, the code stays whole`, async () => {
      const phone = uniquePhone();
      const code = await requestCode(sms, phone);
      const ip = uniqueIp();
      await exhaust(ip);
      const body = (c: string) => (path === "/v1/codes/verify" ? { phone, purpose: "login", code: c } : { phone, code: c });
      const right = await shape(await post(path, body(code), { ip }));
      const wrong = await shape(await post(path, body(wrongCode(code)), { ip }));
      expect(right).toEqual({ status: 429, code: "too_many_requests", attemptsLeft: undefined, retryAfter: "number" });
      expect(wrong).toEqual(right);
      // The wrong guess was not counted: the code still has all five guesses.
      const next = await post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(code) });
      expect((await json<ErrorBody>(next)).error.attemptsLeft).toBe(4);
      expect((await post("/v1/auth/sms-login", { phone, code })).status).toBe(200);
    });
  }
});
