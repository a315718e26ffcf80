import { Hono } from "hono";
import { resetPassword } from "../auth/password-reset";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf } from "../http/context";
import { route } from "../http/contract";
import { passwordField, phoneProof } from "../http/schemas";

const reset = route({
  operationId: "resetPassword",
  tag: "Auth",
  summary: "Reset the password",
  description: "With a `reset_password` code (`phone` + `code`) or the `verificationToken` of one. Ends every session of the account.",
  body: phoneProof({ newPassword: passwordField }),
  answers: [{ status: 204, description: "The password is changed; sign in again." }],
  errors: ["invalid_phone", "weak_password", "code_expired", "invalid_code", "invalid_verification_token", "too_many_attempts", "too_many_requests"],
});

export const passwordRoutes = new Hono<AppEnv>().post("/password/reset", reset, async (c) => {
  const body = c.req.valid("json");
  await resetPassword(scopeOf(c), dbOf(c), body, body.newPassword);
  return c.body(null, 204);
});
