import { Hono } from "hono";
import { signInWithCode } from "../accounts";
import type { AppEnv } from "../env";
import { dbOf, requireSession, scopeOf, sessionOf } from "../http/context";
import { jsonBody } from "../http/validate";
import { parsePhone } from "../phone";
import { smsLoginBody } from "../schemas";
import { deleteSession } from "../sessions";

export const authRoutes = new Hono<AppEnv>()
  .post("/auth/sms-login", jsonBody(smsLoginBody), async (c) => {
    const { phone: rawPhone, code } = c.req.valid("json");
    const { session, user, isNewUser } = await signInWithCode(scopeOf(c), dbOf(c), parsePhone(rawPhone), code);
    return c.json({ token: session.token, expiresAt: new Date(session.expiresAt).toISOString(), user, isNewUser }, 200);
  })
  .post("/auth/logout", requireSession, async (c) => {
    await deleteSession(dbOf(c), sessionOf(c).tokenHash);
    return c.body(null, 204);
  });
