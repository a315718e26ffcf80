import { Hono } from "hono";
import { resetPassword, signInWithCode, signInWithPassword } from "../auth/accounts";
import type { AppEnv } from "../http/app-env";
import { dbOf, requireSession, scopeOf, sessionOf } from "../http/context";
import { jsonBody } from "../http/validate";
import { sessionAnswer } from "../http/session-answer";
import { parsePhone } from "../phone/phone";
import { passwordLoginBody, resetPasswordBody, smsLoginBody } from "../http/schemas";
import { deleteSession } from "../auth/sessions";

export const authRoutes = new Hono<AppEnv>()
  .post("/auth/sms-login", jsonBody(smsLoginBody), async (c) => {
    const { phone: rawPhone, code } = c.req.valid("json");
    const { session, user, isNewUser } = await signInWithCode(scopeOf(c), dbOf(c), parsePhone(rawPhone), code);
    return c.json({ ...sessionAnswer(session, user), isNewUser }, 200);
  })
  .post("/auth/password-login", jsonBody(passwordLoginBody), async (c) => {
    const { phone: rawPhone, password } = c.req.valid("json");
    const { session, user } = await signInWithPassword(scopeOf(c), dbOf(c), parsePhone(rawPhone), password);
    return c.json(sessionAnswer(session, user), 200);
  })
  .post("/auth/logout", requireSession, async (c) => {
    await deleteSession(dbOf(c), sessionOf(c).tokenHash);
    return c.body(null, 204);
  })
  .post("/password/reset", jsonBody(resetPasswordBody), async (c) => {
    const body = c.req.valid("json");
    await resetPassword(scopeOf(c), dbOf(c), body, body.newPassword);
    return c.body(null, 204);
  });
