import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, captureSms, type ErrorBody, get, json, post, requestCode, signIn, uniquePhone } from "../support/helpers";
import { age } from "../support/time";

const sms = captureSms();
const patch = (body: unknown, token?: string) => call("PATCH", "/v1/me", body, token ? { token } : {});

interface UserBody {
  user: { id: string; phone: string; nickname: string | null; avatarUrl: string | null };
}

describe("PATCH /v1/me", () => {
  it("updates the nickname and avatar", async () => {
    const user = await signIn(sms);
    const response = await patch({ nickname: " 阿华 ", avatarUrl: "https://cdn.example.com/a.png" }, user.token);
    expect(response.status).toBe(200);
    expect((await json<UserBody>(response)).user).toMatchObject({ nickname: "阿华", avatarUrl: "https://cdn.example.com/a.png" });
    expect((await json<UserBody>(await get("/v1/me", { token: user.token }))).user.nickname).toBe("阿华");
    const cleared = await patch({ avatarUrl: null }, user.token);
    expect((await json<UserBody>(cleared)).user).toMatchObject({ nickname: "阿华", avatarUrl: null });
  });

  it("rejects bad values with 400 before looking at the session", async () => {
    const user = await signIn(sms);
    for (const body of [
      {},
      { nickname: "" },
      { nickname: "x".repeat(33) },
      { nickname: "tab\there" },
      { avatarUrl: "http://insecure.example.com/a.png" },
      { avatarUrl: `https://e.com/${"a".repeat(520)}` },
      { avatarUrl: "javascript:alert(1)" },
      { role: "admin" },
    ]) {
      const response = await patch(body, user.token);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await json<ErrorBody>(response)).error.code).toBe("invalid_request");
    }
    expect((await patch({ nickname: "x".repeat(40) })).status).toBe(400);
    expect((await patch({ nickname: "ok" })).status).toBe(401);
  });
});

describe("POST /v1/me/phone", () => {
  async function changeCode(token: string, phone: string) {
    const response = await post("/v1/codes", { phone, purpose: "change_phone" }, { token });
    expect(response.status).toBe(202);
    return sms.lastCode(phone, "change_phone");
  }

  it("moves the user to the new phone and frees the old one", async () => {
    const user = await signIn(sms);
    const newPhone = uniquePhone();
    const code = await changeCode(user.token, newPhone);
    const response = await post("/v1/me/phone", { phone: newPhone, code }, { token: user.token });
    expect(response.status).toBe(200);
    expect((await json<UserBody>(response)).user).toMatchObject({ id: user.user.id, phone: newPhone });
    expect((await json<UserBody>(await get("/v1/me", { token: user.token }))).user.phone).toBe(newPhone);

    // The old number is free: an SMS login with it creates a new user.
    await age(user.phone, 61_000);
    const loginCode = await requestCode(sms, user.phone);
    const fresh = await json<{ isNewUser: boolean; user: { id: string } }>(await post("/v1/auth/sms-login", { phone: user.phone, code: loginCode }));
    expect(fresh.isNewUser).toBe(true);
    expect(fresh.user.id).not.toBe(user.user.id);
  });

  it("accepts a verificationToken for the new phone, once, and only from the account that asked", async () => {
    const user = await signIn(sms);
    const newPhone = uniquePhone();
    const code = await changeCode(user.token, newPhone);
    // Verifying a change_phone code needs the session it was asked with.
    expect((await post("/v1/codes/verify", { phone: newPhone, purpose: "change_phone", code })).status).toBe(401);
    const verified = await post("/v1/codes/verify", { phone: newPhone, purpose: "change_phone", code }, { token: user.token });
    const { verificationToken } = await json<{ verificationToken: string }>(verified);
    const other = await signIn(sms);
    // Another account cannot use it (it is bound to the user id, not only to the number)…
    const foreign = await post("/v1/me/phone", { verificationToken }, { token: other.token });
    expect(foreign.status).toBe(401);
    expect((await json<ErrorBody>(foreign)).error.code).toBe("invalid_verification_token");
    // …and the owner spends it exactly once, even in parallel.
    const responses = await Promise.all([1, 2].map(() => post("/v1/me/phone", { verificationToken }, { token: user.token })));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 401]);
    // Reused afterwards by its owner: the spent token is refused before anything says whether the
    // number is in use (issue 10: no registration oracle; 409 only follows a valid proof).
    expect((await post("/v1/me/phone", { verificationToken }, { token: user.token })).status).toBe(401);
  });

  it("a change_phone code asked for by one account does not move another", async () => {
    const user = await signIn(sms);
    const other = await signIn(sms);
    const newPhone = uniquePhone();
    const code = await changeCode(user.token, newPhone);
    const foreign = await post("/v1/me/phone", { phone: newPhone, code }, { token: other.token });
    expect(foreign.status).toBe(400);
    expect((await json<ErrorBody>(foreign)).error.code).toBe("invalid_code");
  });

  it("needs a session, and refuses a number taken meanwhile with 409 (after the code is proven)", async () => {
    const user = await signIn(sms);
    const newPhone = uniquePhone();
    const code = await changeCode(user.token, newPhone);
    expect((await post("/v1/me/phone", { phone: newPhone, code })).status).toBe(401);

    // Someone else registers the new number before the change goes through.
    await age(newPhone, 61_000);
    const other = await signIn(sms, newPhone);
    const taken = await post("/v1/me/phone", { phone: newPhone, code }, { token: user.token });
    expect(taken.status).toBe(409);
    expect((await json<ErrorBody>(taken)).error.code).toBe("phone_registered");
    expect(other.user.id).not.toBe(user.user.id);
  });

  it("refuses the user's own number when the code is requested", async () => {
    const user = await signIn(sms);
    const response = await post("/v1/codes", { phone: user.phone, purpose: "change_phone" }, { token: user.token });
    expect(response.status).toBe(409);
  });

  it("answers like verify for a wrong code", async () => {
    const user = await signIn(sms);
    const newPhone = uniquePhone();
    const code = await changeCode(user.token, newPhone);
    const wrong = await post("/v1/me/phone", { phone: newPhone, code: code === "000000" ? "111111" : "000000" }, { token: user.token });
    expect(wrong.status).toBe(400);
    expect((await json<ErrorBody>(wrong)).error).toMatchObject({ code: "invalid_code", attemptsLeft: 4 });
    const rows = await env.DB.prepare("SELECT identifier FROM identities WHERE user_id = ?").bind(user.user.id).all<{ identifier: string }>();
    expect(rows.results.map((r) => r.identifier)).toEqual([user.phone]);
  });
});
