import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { captureSms, type ErrorBody, get, json, post, requestCode, type SignedInBody, signIn, uniqueIp, uniquePhone, wrongCode } from "../support/helpers";

import { age } from "../support/time";

const sms = captureSms();

/** Ages the session's last authentication past REAUTH_WINDOW_SECONDS (600 s). */
const stale = (userId: string) => env.DB.prepare("UPDATE sessions SET authenticated_at = authenticated_at - 601000 WHERE user_id = ?").bind(userId).run();

async function changeCode(token: string, phone: string) {
  return requestCode(sms, phone, "change_phone", { token });
}

describe("recent authentication (sudo mode)", () => {
  it("a fresh sign-in may change the phone; the other sessions of the user end", async () => {
    const user = await signIn(sms);
    const password = "a good password 1";
    expect((await post("/v1/me/password", { newPassword: password }, { token: user.token })).status).toBe(204);
    const other = await json<SignedInBody>(await post("/v1/auth/password-login", { phone: user.phone, password }));
    const newPhone = uniquePhone();
    const code = await changeCode(user.token, newPhone);
    expect((await post("/v1/me/phone", { phone: newPhone, code }, { token: user.token })).status).toBe(200);
    expect((await get("/v1/me", { token: other.accessToken })).status).toBe(401);
    expect((await post("/v1/auth/refresh", { refreshToken: other.refreshToken })).status).toBe(401);
    expect((await get("/v1/me", { token: user.token })).status).toBe(200);
  });

  it("an old sign-in gets 403 reauthentication_required for the phone and the password, before any code is spent", async () => {
    const user = await signIn(sms);
    await stale(user.user.id);
    const newPhone = uniquePhone();
    const code = await changeCode(user.token, newPhone);
    const phone = await post("/v1/me/phone", { phone: newPhone, code }, { token: user.token });
    expect(phone.status).toBe(403);
    expect((await json<ErrorBody>(phone)).error.code).toBe("reauthentication_required");
    const password = await post("/v1/me/password", { newPassword: "a good password 1" }, { token: user.token });
    expect(password.status).toBe(403);

    // Re-authenticated with a code sent to the account's own number: the same code still works.
    await age(user.phone, 61_000); // past the resend interval of the login code
    const reCode = await requestCode(sms, user.phone, "reauthenticate", { token: user.token });
    const re = await post("/v1/auth/reauthenticate", { code: reCode }, { token: user.token });
    expect(re.status).toBe(200);
    expect(Date.parse((await json<{ reauthenticatedUntil: string }>(re)).reauthenticatedUntil)).toBeGreaterThan(Date.now() + 590_000);
    expect((await post("/v1/me/phone", { phone: newPhone, code }, { token: user.token })).status).toBe(200);
  });

  it("re-authenticates with the password; a wrong one is 401 and counts toward the phone's lockout", async () => {
    const user = await signIn(sms);
    const password = "a good password 1";
    await post("/v1/me/password", { newPassword: password }, { token: user.token });
    await stale(user.user.id);
    const wrong = await post("/v1/auth/reauthenticate", { password: "not the password 9" }, { token: user.token });
    expect(wrong.status).toBe(401);
    expect((await json<ErrorBody>(wrong)).error.code).toBe("invalid_credentials");
    expect((await post("/v1/auth/reauthenticate", { password }, { token: user.token })).status).toBe(200);
    expect((await post("/v1/me/password", { newPassword: "another password 2", currentPassword: password }, { token: user.token })).status).toBe(204);
  });

  it("password guesses through re-authentication hit the same lock as password logins", async () => {
    const user = await signIn(sms);
    await post("/v1/me/password", { newPassword: "a good password 1" }, { token: user.token });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await post("/v1/auth/reauthenticate", { password: `wrong password ${i}` }, { token: user.token })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    // Locked: even the right password is refused now, as at the login.
    expect((await post("/v1/auth/password-login", { phone: user.phone, password: "a good password 1" })).status).toBe(429);
  });

  it("re-authentication counts against the client address's verification limit", async () => {
    const user = await signIn(sms);
    const ip = uniqueIp();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await post("/v1/auth/reauthenticate", { code: "000000" }, { token: user.token, ip })).status);
    expect(statuses.at(-1)).toBe(429);
  });

  it("a wrong re-authentication code counts as a guess", async () => {
    const user = await signIn(sms);
    await age(user.phone, 61_000);
    const code = await requestCode(sms, user.phone, "reauthenticate", { token: user.token });
    const wrong = await post("/v1/auth/reauthenticate", { code: wrongCode(code) }, { token: user.token });
    expect(wrong.status).toBe(400);
    expect((await json<ErrorBody>(wrong)).error).toMatchObject({ code: "invalid_code", attemptsLeft: 4 });
  });

  it("a reauthenticate code needs a session and goes only to the account's own number", async () => {
    const user = await signIn(sms);
    const anonymous = await post("/v1/codes", { phone: user.phone, purpose: "reauthenticate" });
    expect(anonymous.status).toBe(401);
    const elsewhere = await post("/v1/codes", { phone: uniquePhone(), purpose: "reauthenticate" }, { token: user.token });
    expect(elsewhere.status).toBe(400);
    expect((await json<ErrorBody>(elsewhere)).error.code).toBe("invalid_request");
  });

  it("changing a password needs the current one; setting a first one does not; other sessions end", async () => {
    const user = await signIn(sms);
    expect((await post("/v1/me/password", { newPassword: "a good password 1" }, { token: user.token })).status).toBe(204);
    const other = await json<SignedInBody>(await post("/v1/auth/password-login", { phone: user.phone, password: "a good password 1" }));
    const missing = await post("/v1/me/password", { newPassword: "another password 2" }, { token: user.token });
    expect(missing.status).toBe(400);
    const wrong = await post("/v1/me/password", { newPassword: "another password 2", currentPassword: "not it at all 3" }, { token: user.token });
    expect(wrong.status).toBe(401);
    expect((await post("/v1/me/password", { newPassword: "another password 2", currentPassword: "a good password 1" }, { token: user.token })).status).toBe(
      204,
    );
    expect((await get("/v1/me", { token: other.accessToken })).status).toBe(401);
    expect((await post("/v1/auth/password-login", { phone: user.phone, password: "another password 2" })).status).toBe(200);
    const weak = await post("/v1/me/password", { newPassword: "12345678", currentPassword: "another password 2" }, { token: user.token });
    expect((await json<ErrorBody>(weak)).error.code).toBe("weak_password");
  });
});
