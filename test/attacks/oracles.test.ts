/**
 * Issue 10 items 2 and 5: no registration oracle on POST /v1/me/phone (the code or token is
 * proven and counted before the answer may depend on whether the number is taken), and register
 * step 3 is no free PBKDF2 oracle (token liveness first, counted against the address).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { captureSms, type ErrorBody, json, post, requestCode, signIn, uniqueIp, uniquePhone } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();

// Only the spies on fetch (and the ones a test restores itself): captureSms's spy on console.log stays.
afterEach(() => {
  vi.mocked(globalThis.fetch).mockRestore?.();
});

async function registerToken(phone: string): Promise<string> {
  const code = await requestCode(sms, phone, "register");
  const verified = await post("/v1/codes/verify", { phone, purpose: "register", code });
  expect(verified.status).toBe(200);
  return (await json<{ verificationToken: string }>(verified)).verificationToken;
}

describe("POST /v1/me/phone is no registration oracle", () => {
  it("answers a guess at a registered number like one at a free number, and limits the address first", async () => {
    const victim = await signIn(sms);
    const attacker = await signIn(sms);
    const ip = uniqueIp();
    const answers: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      const phone = i % 2 === 0 ? victim.phone : uniquePhone();
      const response = await post("/v1/me/phone", { phone, code: "123456" }, { token: attacker.token, ip });
      answers.push(`${response.status} ${(await json<ErrorBody>(response)).error.code}`);
    }
    expect(answers.filter((a) => a.startsWith("409"))).toEqual([]);
    expect(answers.slice(0, 30)).toEqual(Array(30).fill("400 code_expired"));
    expect(answers.slice(30)).toEqual(Array(10).fill("429 too_many_requests"));
  });

  it("answers phone_registered only for a proven token, and spends it", async () => {
    const user = await signIn(sms);
    const phone = uniquePhone();
    const code = await requestCode(sms, phone, "change_phone", { token: user.token });
    // A change_phone code is bound to the account that asked: verified with its session.
    const verified = await post("/v1/codes/verify", { phone, purpose: "change_phone", code }, { token: user.token });
    const { verificationToken } = await json<{ verificationToken: string }>(verified);
    await age(phone, 61_000);
    await signIn(sms, phone); // someone registers the number meanwhile
    const first = await post("/v1/me/phone", { verificationToken }, { token: user.token });
    expect((await json<ErrorBody>(first)).error.code).toBe("phone_registered");
    const again = await post("/v1/me/phone", { verificationToken }, { token: user.token });
    expect((await json<ErrorBody>(again)).error.code).toBe("invalid_verification_token");
  });
});

describe("register step 3 is no free PBKDF2 oracle", () => {
  it("refuses a spent token before hashing the password", async () => {
    const phone = uniquePhone();
    const token = await registerToken(phone);
    expect((await post("/v1/register/password", { verificationToken: token, password: "correct horse 1", passwordConfirm: "correct horse 1" })).status).toBe(
      200,
    );
    expect((await post("/v1/register/profile", { verificationToken: token, nickname: "Ann" })).status).toBe(201);
    const derive = vi.spyOn(crypto.subtle, "deriveBits");
    const spent = await post("/v1/register/password", { verificationToken: token, password: "battery staple 2", passwordConfirm: "battery staple 2" });
    expect(spent.status).toBe(401);
    expect((await json<ErrorBody>(spent)).error.code).toBe("invalid_verification_token");
    expect(derive).not.toHaveBeenCalled();
    derive.mockRestore();
  });

  it("counts step 3 against the address's verification limit: 40 parallel calls, 30 hashed", async () => {
    const token = await registerToken(uniquePhone());
    const ip = uniqueIp();
    const responses = await Promise.all(
      Array.from({ length: 40 }, () =>
        post("/v1/register/password", { verificationToken: token, password: "correct horse 1", passwordConfirm: "correct horse 1" }, { ip }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });
});
