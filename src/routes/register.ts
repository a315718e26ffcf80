import { Hono } from "hono";
import * as z from "zod/mini";
import { completeRegistration, setRegistrationPassword } from "../auth/registration";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf } from "../http/context";
import { route } from "../http/contract";
import { nicknameField, passwordField, sessionResponse, verificationTokenField } from "../http/schemas";
import { sessionAnswer } from "../http/session-answer";

const setPassword = route({
  operationId: "registerPassword",
  tag: "Registration",
  summary: "Set the password of a registration",
  description:
    "Step 3 of 4, with the `verificationToken` of a `register` code. Repeatable until step 4; the last password wins. Counts against the client address's verification limit. Answers the seconds left on the token.",
  body: z.strictObject({ verificationToken: verificationTokenField, password: passwordField, passwordConfirm: passwordField }),
  answers: [{ status: 200, description: "The password is kept for step 4.", schema: z.object({ expiresIn: z.number().check(z.int()) }) }],
  errors: ["invalid_verification_token", "password_mismatch", "weak_password", "too_many_requests"],
});

const complete = route({
  operationId: "registerProfile",
  tag: "Registration",
  summary: "Complete a registration",
  description: "Step 4 of 4: spends the `verificationToken`, creates the account and signs it in. 409 password_required without step 3.",
  body: z.strictObject({ verificationToken: verificationTokenField, nickname: nicknameField }),
  answers: [{ status: 201, description: "Registered and signed in.", schema: sessionResponse }],
  errors: ["invalid_verification_token", "password_required", "phone_registered"],
});

export const registerRoutes = new Hono<AppEnv>()
  .post("/register/password", setPassword, async (c) => {
    const { verificationToken, password, passwordConfirm } = c.req.valid("json");
    const expiresIn = await setRegistrationPassword(scopeOf(c), verificationToken, password, passwordConfirm);
    return c.json({ expiresIn }, 200);
  })
  .post("/register/profile", complete, async (c) => {
    const { verificationToken, nickname } = c.req.valid("json");
    const { session, user } = await completeRegistration(scopeOf(c), dbOf(c), verificationToken, nickname);
    return c.json(await sessionAnswer(c.get("config"), session, user), 201);
  });
