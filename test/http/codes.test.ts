import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { captureSms, type ErrorBody, json, post, requestCode, signIn, uniquePhone, wrongCode } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();

describe("POST /v1/codes", () => {
  it("sends a 6-digit code and answers 202 with the phone in E.164", async () => {
    const response = await post("/v1/codes", { phone: "139 0013-8000", purpose: "login" });
    expect(response.status).toBe(202);
    expect(await json(response)).toEqual({ phone: "+8613900138000", purpose: "login", expiresIn: 300, resendIn: 60 });
    expect(sms.lastCode("+8613900138000")).toMatch(/^\d{6}$/);
  });

  it("prints one greppable JSON line per message from the console provider", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const line = sms.lines.find((l) => l.includes('"sms.console"') && l.includes(phone));
    expect(JSON.parse(line!)).toEqual({ event: "sms.console", to: phone, purpose: "login", code, expiresIn: 300 });
  });

  it("stores the code in KV only as a keyed hash, with an expiration", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const listed = await env.CODES.list({ prefix: `code:login:${phone}` });
    expect(listed.keys).toHaveLength(1);
    const key = listed.keys[0]!;
    expect(key.expiration).toBeGreaterThan(Date.now() / 1000 + 200);
    expect(key.expiration).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 300);
    const raw = (await env.CODES.get(key.name))!;
    expect(raw).not.toContain(code);
    // The provider that carried it (so a verification counts for that provider in /v1/admin/stats): not a secret.
    expect(JSON.parse(raw)).toEqual({ id: expect.any(String), mac: expect.any(String), provider: "console" });
  });

  it("draws a different code for nearly every send (no fixed code)", async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 12; i += 1) codes.add(await requestCode(sms, uniquePhone()));
    expect(codes.size).toBeGreaterThan(10);
  });

  it("enforces the resend cooldown with Retry-After", async () => {
    const phone = uniquePhone();
    await requestCode(sms, phone);
    const again = await post("/v1/codes", { phone, purpose: "login" });
    expect(again.status).toBe(429);
    const body = await json<ErrorBody>(again);
    expect(body.error.code).toBe("too_many_requests");
    expect(body.error.retryAfter).toBeGreaterThanOrEqual(59);
    expect(again.headers.get("Retry-After")).toBe(String(body.error.retryAfter));
  });

  it("applies the cooldown to the phone across purposes, and lets a new code through after it", async () => {
    const phone = uniquePhone();
    await requestCode(sms, phone);
    expect((await post("/v1/codes", { phone, purpose: "register" })).status).toBe(429);
    await age(phone, 61_000);
    expect((await post("/v1/codes", { phone, purpose: "register" })).status).toBe(202);
  });

  it("caps sends per phone over a rolling 24 hours", async () => {
    const phone = uniquePhone();
    for (let i = 0; i < 10; i += 1) {
      await requestCode(sms, phone);
      await age(phone, 61_000);
    }
    const capped = await post("/v1/codes", { phone, purpose: "login" });
    expect(capped.status).toBe(429);
    const body = await json<ErrorBody>(capped);
    // The oldest send was ~11 minutes "ago", so the cap lifts in a little under 24 hours.
    expect(body.error.retryAfter).toBeGreaterThan(23 * 3600);
    await age(phone, 24 * 3600_000);
    expect((await post("/v1/codes", { phone, purpose: "login" })).status).toBe(202);
  });

  it("replaces the previous code when a new one is sent", async () => {
    const phone = uniquePhone();
    const first = await requestCode(sms, phone);
    await age(phone, 61_000);
    let second = await requestCode(sms, phone);
    while (second === first) {
      await age(phone, 61_000);
      second = await requestCode(sms, phone);
    }
    const old = await post("/v1/codes/verify", { phone, purpose: "login", code: first });
    expect(old.status).toBe(400);
    expect((await json<ErrorBody>(old)).error.code).toBe("invalid_code");
    expect((await post("/v1/codes/verify", { phone, purpose: "login", code: second })).status).toBe(200);
  });

  it("rejects numbers that are not mobile-capable, and junk", async () => {
    for (const phone of ["+861012345678", "12345", "+442071838750", "not a phone", "+86 1380013800"]) {
      const response = await post("/v1/codes", { phone, purpose: "login" });
      expect(response.status, phone).toBe(400);
      expect((await json<ErrorBody>(response)).error.code, phone).toBe("invalid_phone");
    }
  });

  it("needs a session for change_phone", async () => {
    const response = await post("/v1/codes", { phone: uniquePhone(), purpose: "change_phone" });
    expect(response.status).toBe(401);
    expect((await json<ErrorBody>(response)).error.code).toBe("unauthorized");
  });

  it("refuses register and change_phone for a number in use (409), after the schema and session checks", async () => {
    const user = await signIn(sms);
    const register = await post("/v1/codes", { phone: user.phone, purpose: "register" });
    expect(register.status).toBe(409);
    expect((await json<ErrorBody>(register)).error.code).toBe("phone_registered");
    const change = await post("/v1/codes", { phone: user.phone, purpose: "change_phone" }, { token: user.token });
    expect(change.status).toBe(409);
    // Schema first: a bad purpose is 400 even for a registered phone.
    expect((await post("/v1/codes", { phone: user.phone, purpose: "nope" })).status).toBe(400);
  });

  it("answers a reset for an unknown phone exactly like a known one, but sends nothing", async () => {
    const known = await signIn(sms);
    await age(known.phone, 61_000);
    const unknown = uniquePhone();
    const a = await post("/v1/codes", { phone: known.phone, purpose: "reset_password" });
    const b = await post("/v1/codes", { phone: unknown, purpose: "reset_password" });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    const bodyA = await json(a);
    const bodyB = await json(b);
    expect({ ...bodyA, phone: "x" }).toEqual({ ...bodyB, phone: "x" });
    expect(sms.sentCount(unknown)).toBe(0);
    expect(() => sms.lastCode(known.phone, "reset_password")).not.toThrow();
    // The cooldown applies to the unknown phone too.
    expect((await post("/v1/codes", { phone: unknown, purpose: "reset_password" })).status).toBe(429);
  });
});

describe("POST /v1/codes/verify", () => {
  it("returns a verificationToken for the right code, once", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone, "login");
    const ok = await post("/v1/codes/verify", { phone, purpose: "login", code });
    expect(ok.status).toBe(200);
    const body = await json<{ verificationToken: string; expiresIn: number }>(ok);
    expect(body.expiresIn).toBe(600);
    expect(body.verificationToken.length).toBeGreaterThan(40);
    const again = await post("/v1/codes/verify", { phone, purpose: "login", code });
    expect(again.status).toBe(400);
    expect((await json<ErrorBody>(again)).error.code).toBe("code_expired");
  });

  it("counts wrong guesses down to 0, then burns the code even for the right one", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const left: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(code) });
      expect(response.status).toBe(400);
      const body = await json<ErrorBody>(response);
      expect(body.error.code).toBe("invalid_code");
      left.push(body.error.attemptsLeft!);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const right = await post("/v1/codes/verify", { phone, purpose: "login", code });
    expect(right.status).toBe(429);
    const body = await json<ErrorBody>(right);
    expect(body.error.code).toBe("too_many_attempts");
    expect(body.error.retryAfter).toBeGreaterThanOrEqual(1);
    expect(right.headers.get("Retry-After")).toBe(String(body.error.retryAfter));
    // A new code starts a fresh count.
    await age(phone, 61_000);
    const fresh = await requestCode(sms, phone);
    expect((await post("/v1/codes/verify", { phone, purpose: "login", code: fresh })).status).toBe(200);
  });

  it("gives 50 parallel wrong guesses at most 5 answers that are not 429", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const responses = await Promise.all(Array.from({ length: 50 }, () => post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(code) })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s !== 429)).toHaveLength(5);
    expect(statuses.filter((s) => s === 400)).toHaveLength(5);
    const left = await Promise.all(responses.filter((r) => r.status === 400).map(async (r) => (await json<ErrorBody>(r)).error.attemptsLeft));
    expect(left.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("lets exactly one of 20 parallel correct submissions through", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const responses = await Promise.all(Array.from({ length: 20 }, () => post("/v1/codes/verify", { phone, purpose: "login", code })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of responses.filter((r) => r.status !== 200)) expect((await json<ErrorBody>(r)).error.code).toBe("code_expired");
  });

  it("answers code_expired and counts nothing when no code is active", async () => {
    const phone = uniquePhone();
    for (let i = 0; i < 7; i += 1) {
      const response = await post("/v1/codes/verify", { phone, purpose: "login", code: "123456" });
      expect(response.status).toBe(400);
      expect((await json<ErrorBody>(response)).error.code).toBe("code_expired");
    }
    const code = await requestCode(sms, phone);
    const wrong = await post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(code) });
    expect((await json<ErrorBody>(wrong)).error.attemptsLeft).toBe(4);
  });

  it("expires a code after CODE_TTL_SECONDS", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    await age(phone, 301_000);
    const response = await post("/v1/codes/verify", { phone, purpose: "login", code });
    expect(response.status).toBe(400);
    expect((await json<ErrorBody>(response)).error.code).toBe("code_expired");
  });

  it("binds a code to its purpose", async () => {
    const phone = uniquePhone();
    const code = await requestCode(sms, phone, "login");
    const response = await post("/v1/codes/verify", { phone, purpose: "reset_password", code });
    expect((await json<ErrorBody>(response)).error.code).toBe("code_expired");
  });
});

describe("code storage and randomness", () => {
  it("keys the stored hash with AUTH_SECRET: it is HMAC-SHA256(secret, id|phone|purpose|code), not a plain hash", async () => {
    const { parseConfig } = await import("../../src/platform/config");
    const { hmac, sha256, toBase64Url } = await import("../../src/platform/crypto");
    const phone = uniquePhone();
    const code = await requestCode(sms, phone);
    const stored = JSON.parse((await env.CODES.get(`code:login:${phone}`))!) as { id: string; mac: string };
    const message = `code|${stored.id}|${phone}|login|${code}`;
    expect(stored.mac).toBe(toBase64Url(await hmac(parseConfig(env).AUTH_SECRET, message)));
    expect(stored.mac).not.toBe(toBase64Url(await sha256(message)));
    expect(stored.mac).not.toBe(toBase64Url(await hmac("another secret that is long enough to use", message)));
  });

  it("draws each code by rejection sampling, so no code is more likely than another", async () => {
    const { randomDigits } = await import("../../src/platform/crypto");
    // 2^32 - 1 is above the largest multiple of 10^6 that fits in 32 bits: it must be thrown
    // away, not reduced modulo 10^6 (which would favour low codes).
    const draws = [0xffffffff, 4_294_000_000, 123];
    const spy = vi.spyOn(crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      (array as unknown as Uint32Array)[0] = draws.shift()!;
      return array;
    });
    try {
      expect(randomDigits(6)).toBe("000123");
      expect(draws).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });
});
