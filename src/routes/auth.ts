import { Hono } from "hono";
import * as z from "zod/mini";
import { reauthenticate } from "../auth/reauthenticate";
import { refreshSession } from "../auth/refresh";
import { signInWithCode, signInWithPassword } from "../auth/sign-in";
import { signOut, signOutEverywhere } from "../auth/sign-out";
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
  description: "Signs in with a `login` code; a number not seen before is registered (`isNewUser: true`). Answers an access token and a refresh token.",
  body: z.strictObject({ phone: phoneField, code: codeField }),
  answers: [{ status: 200, description: "Signed in.", schema: z.extend(sessionResponse, { isNewUser: z.boolean() }) }],
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

const refresh = route({
  operationId: "refreshSession",
  tag: "Auth",
  summary: "Refresh the tokens",
  description:
    "Spends the refresh token and answers a new access token and a new refresh token. A retry with the token just spent, within " +
    "REFRESH_REUSE_GRACE_SECONDS, answers the same new refresh token; a spent token presented later ends the whole session.",
  body: z.strictObject({ refreshToken: z.string().check(z.minLength(1), z.maxLength(256)) }),
  answers: [{ status: 200, description: "New tokens.", schema: sessionResponse }],
  errors: ["invalid_refresh_token", "account_disabled"],
});

const logout = route({
  operationId: "logout",
  tag: "Auth",
  summary: "Sign out",
  description: "Ends the session the access token belongs to: its refresh token and every access token of it stop working here at once.",
  auth: "bearer",
  answers: [{ status: 204, description: "Signed out." }],
  errors: [],
});

const logoutAll = route({
  operationId: "logoutAll",
  tag: "Auth",
  summary: "Sign out everywhere",
  description: "Ends every session of the user, the current one included.",
  auth: "bearer",
  answers: [{ status: 204, description: "Every session ended." }],
  errors: [],
});

const reauth = route({
  operationId: "reauthenticate",
  tag: "Auth",
  summary: "Re-authenticate the session",
  description:
    "With the account's `password`, or a `code` sent to its own number (POST /v1/codes, purpose `reauthenticate`). Opens REAUTH_WINDOW_SECONDS " +
    "in which this session may change the phone number or the password. Counts against the same limits as a sign-in.",
  auth: "bearer",
  body: z.union([z.strictObject({ password: passwordField }), z.strictObject({ code: codeField })]),
  answers: [
    {
      status: 200,
      description: "Re-authenticated.",
      schema: z.object({
        reauthenticatedUntil: z.string().register(z.globalRegistry, { format: "date-time", description: "End of the window for sensitive changes" }),
      }),
    },
  ],
  errors: ["invalid_credentials", "code_expired", "invalid_code", "too_many_attempts", "too_many_requests"],
});

export const authRoutes = new Hono<AppEnv>()
  .post("/auth/sms-login", smsLogin, async (c) => {
    const { phone: rawPhone, code } = c.req.valid("json");
    const { session, user, isNewUser } = await signInWithCode(scopeOf(c), dbOf(c), parsePhone(rawPhone), code);
    return c.json({ ...(await sessionAnswer(c.get("config"), session, user)), isNewUser }, 200);
  })
  .post("/auth/password-login", passwordLogin, async (c) => {
    const { phone: rawPhone, password } = c.req.valid("json");
    const { session, user } = await signInWithPassword(scopeOf(c), dbOf(c), parsePhone(rawPhone), password);
    return c.json(await sessionAnswer(c.get("config"), session, user), 200);
  })
  .post("/auth/refresh", refresh, async (c) => {
    const { session, user } = await refreshSession(scopeOf(c), dbOf(c), c.req.valid("json").refreshToken);
    return c.json(await sessionAnswer(c.get("config"), session, user), 200);
  })
  .post("/auth/logout", logout, async (c) => {
    await signOut(scopeOf(c), dbOf(c), sessionOf(c));
    return c.body(null, 204);
  })
  .post("/auth/logout-all", logoutAll, async (c) => {
    await signOutEverywhere(scopeOf(c), dbOf(c), sessionOf(c));
    return c.body(null, 204);
  })
  .post("/auth/reauthenticate", reauth, async (c) => {
    const until = await reauthenticate(scopeOf(c), dbOf(c), sessionOf(c), c.req.valid("json"));
    return c.json({ reauthenticatedUntil: new Date(until).toISOString() }, 200);
  });
