/**
 * Guessing a phone's code across resends: 5 wrong guesses burn a code, 10 wrong guesses per phone
 * per hour (whatever codes they were aimed at) lock the phone for an hour, and the lock survives
 * new codes. With 10 sends per phone per 24 h this bounds an attacker to 50 guesses a day.
 */
import { describe, expect, it } from "vitest";
import { eventCounter } from "../support/attacks";
import { captureSms, type ErrorBody, json, post, requestCode, uniquePhone, wrongCode } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();

const guess = (phone: string, code: string, path = "/v1/codes/verify") =>
  post(path, path === "/v1/codes/verify" ? { phone, purpose: "login", code } : { phone, code });

describe("guess/resend cycles", () => {
  it("lock the phone at the 10th wrong guess, spread over four codes none of which was burned", async () => {
    const phone = uniquePhone();
    const events = eventCounter(sms);
    let code = "";
    let wrong = 0;
    const answers: string[] = [];
    // The cautious attacker: 3 guesses per code, then a resend, so no code ever reaches its 5.
    for (let cycle = 0; wrong < 10; cycle += 1) {
      if (cycle > 0) await age(phone, 61_000);
      code = await requestCode(sms, phone);
      for (let i = 0; i < 3 && wrong < 10; i += 1) {
        const response = await guess(phone, wrongCode(code));
        wrong += 1;
        answers.push(`${response.status} ${(await json<ErrorBody>(response)).error.code}`);
      }
    }
    expect(answers).toEqual(Array(10).fill("400 invalid_code"));
    expect(events("phone.locked")).toBe(1);

    // The right code of the live (never burned) code is refused now: the lock is on the phone.
    const right = await guess(phone, code);
    expect(right.status).toBe(429);
    const body = await json<ErrorBody>(right);
    expect(body.error.code).toBe("too_many_attempts");
    expect(body.error.retryAfter).toBeGreaterThan(3500);
    expect(body.error.retryAfter).toBeLessThanOrEqual(3600);
    expect(right.headers.get("Retry-After")).toBe(String(body.error.retryAfter));
  });

  it("keep the lock through new codes: no code can be sent, and none is accepted, until the hour is over", async () => {
    const phone = uniquePhone();
    for (let round = 0; round < 2; round += 1) {
      if (round > 0) await age(phone, 61_000);
      const code = await requestCode(sms, phone);
      for (let i = 0; i < 5; i += 1) await guess(phone, wrongCode(code));
    }
    const sentBefore = sms.sentCount(phone);

    // A resend after the cooldown is refused, with the lock's Retry-After, and sends nothing.
    await age(phone, 61_000);
    const resend = await post("/v1/codes", { phone, purpose: "login" });
    expect(resend.status).toBe(429);
    const body = await json<ErrorBody>(resend);
    expect(body.error.code).toBe("too_many_requests");
    expect(body.error.retryAfter).toBeGreaterThan(3400);
    expect(sms.sentCount(phone)).toBe(sentBefore);
    // …for every purpose.
    expect((await post("/v1/codes", { phone, purpose: "reset_password" })).status).toBe(429);

    // Half an hour later: still locked.
    await age(phone, 1800_000);
    expect((await post("/v1/codes", { phone, purpose: "login" })).status).toBe(429);

    // An hour after the lock: a new code is sent and works.
    await age(phone, 1800_000);
    const fresh = await requestCode(sms, phone);
    expect((await guess(phone, fresh)).status).toBe(200);
  });

  it("count guesses made through /v1/auth/sms-login and /v1/codes/verify together", async () => {
    const phone = uniquePhone();
    const events = eventCounter(sms);
    for (let round = 0; round < 2; round += 1) {
      if (round > 0) await age(phone, 61_000);
      const code = await requestCode(sms, phone);
      for (let i = 0; i < 5; i += 1) {
        const path = i % 2 === 0 ? "/v1/auth/sms-login" : "/v1/codes/verify";
        expect((await guess(phone, wrongCode(code), path)).status).toBe(400);
      }
    }
    expect(events("phone.locked")).toBe(1);
    expect((await post("/v1/codes", { phone, purpose: "login" })).status).toBe(429);
  });

  it("lock a phone against 40 parallel wrong guesses spread over two live codes (login and register)", async () => {
    const phone = uniquePhone();
    const login = await requestCode(sms, phone, "login");
    await age(phone, 61_000);
    const register = await requestCode(sms, phone, "register");
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? post("/v1/codes/verify", { phone, purpose: "login", code: wrongCode(login) })
          : post("/v1/codes/verify", { phone, purpose: "register", code: wrongCode(register) }),
      ),
    );
    // Exactly 10 guesses were evaluated (5 per code at most, 10 per phone); the rest were refused.
    expect(responses.filter((r) => r.status === 400)).toHaveLength(10);
    expect(responses.filter((r) => r.status === 429)).toHaveLength(30);
    // The phone is locked, so even the right codes fail.
    expect((await post("/v1/codes/verify", { phone, purpose: "login", code: login })).status).toBe(429);
  });

  it("bound a patient attacker to 50 evaluated guesses (10 codes × 5) over 24 hours", async () => {
    const phone = uniquePhone();
    const DAY = 24 * 3600_000;
    let aged = 0;
    let sends = 0;
    let evaluated = 0;
    // The object sees simulated time (aging) plus the real time the test itself takes, which
    // under a loaded machine is seconds: count both, or the day ends late and an 11th send fits.
    const realStart = Date.now();
    const elapsedNow = () => aged + (Date.now() - realStart);
    // The optimal attacker: send whenever allowed, guess until refused, otherwise wait exactly
    // as long as Retry-After says. Time is simulated by aging the phone's state.
    while (elapsedNow() < DAY) {
      const send = await post("/v1/codes", { phone, purpose: "login" });
      if (send.status === 202) {
        sends += 1;
        const code = sms.lastCode(phone);
        for (;;) {
          const response = await guess(phone, wrongCode(code));
          if (response.status !== 400) break;
          evaluated += 1;
        }
        continue;
      }
      expect(send.status).toBe(429);
      const wait = (await json<ErrorBody>(send)).error.retryAfter! * 1000;
      const step = Math.min(wait, DAY - elapsedNow());
      if (step <= 0) break;
      await age(phone, step);
      aged += step;
    }
    expect(sends).toBe(10);
    expect(evaluated).toBe(50);
  });
});
