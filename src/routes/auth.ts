import { Hono } from "hono";
import * as z from "zod";
import { signInWithCode, signInWithPassword } from "../auth/sign-in";
import { signOut } from "../auth/sign-out";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf, sessionOf } from "../http/context";
import { route } from "../http/contract";
import { codeField, passwordField, phoneField, sessionResponse } from "../http/schemas";
import { sessionAnswer } from "../http/session-answer";
import { parsePhone } from "../phone/phone";

const smsLogin = route({
  operationId: "smsLogin",
  tag: "Auth",
  summary: "Sign in with an SMS code",
  description: "Signs in with a `login` code; a number not seen before is registered (`isNewUser: true`). Answers a bearer session token.",
  body: z.strictObject({ phone: phoneField, code: codeField }),
  answers: [{ status: 200, description: "Signed in.", schema: sessionResponse.extend({ isNewUser: z.boolean() }) }],
  errors: ["invalid_phone", "code_expired", "invalid_code", "too_many_attempts", "too_many_requests", "account_disabled"],
});

const passwordLogin = route({
  operationId: "passwordLogin",
  tag: "Auth",
  summary: "Sign in with a password",
  description:
    "An unknown number, an account without a password and a wrong password all answer 401 invalid_credentials. Too many failures lock the number for a while (429). A banned account answers 403 account_disabled once the password is right.",
  body: z.strictObject({ phone: phoneField, password: passwordField }),
  answers: [{ status: 200, description: "Signed in.", schema: sessionResponse }],
  errors: ["invalid_phone", "invalid_credentials", "too_many_attempts", "too_many_requests", "account_disabled"],
});

const logout = route({
  operationId: "logout",
  tag: "Auth",
  summary: "Sign out",
  description: "Deletes the session the bearer token names.",
  auth: "bearer",
  answers: [{ status: 204, description: "Signed out." }],
  errors: [],
});

export const authRoutes = new Hono<AppEnv>()
  .post("/auth/sms-login", smsLogin, async (c) => {
    const { phone: rawPhone, code } = c.req.valid("json");
    const { session, user, isNewUser } = await signInWithCode(scopeOf(c), dbOf(c), parsePhone(rawPhone), code);
    return c.json({ ...sessionAnswer(session, user), isNewUser }, 200);
  })
  .post("/auth/password-login", passwordLogin, async (c) => {
    const { phone: rawPhone, password } = c.req.valid("json");
    const { session, user } = await signInWithPassword(scopeOf(c), dbOf(c), parsePhone(rawPhone), password);
    return c.json(sessionAnswer(session, user), 200);
  })
  .post("/auth/logout", logout, async (c) => {
    await signOut(scopeOf(c), dbOf(c), sessionOf(c));
    return c.body(null, 204);
  });
