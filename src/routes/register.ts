import { Hono } from "hono";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf } from "../http/context";
import { jsonBody } from "../http/validate";
import { sessionAnswer } from "../http/session-answer";
import { completeRegistration, setRegistrationPassword } from "../auth/registration";
import { registerPasswordBody, registerProfileBody } from "../http/schemas";

export const registerRoutes = new Hono<AppEnv>()
  .post("/register/password", jsonBody(registerPasswordBody), async (c) => {
    const { verificationToken, password, passwordConfirm } = c.req.valid("json");
    const expiresIn = await setRegistrationPassword(scopeOf(c), verificationToken, password, passwordConfirm);
    return c.json({ expiresIn }, 200);
  })
  .post("/register/profile", jsonBody(registerProfileBody), async (c) => {
    const { verificationToken, nickname } = c.req.valid("json");
    const { session, user } = await completeRegistration(scopeOf(c), dbOf(c), verificationToken, nickname);
    return c.json(sessionAnswer(session, user), 201);
  });
