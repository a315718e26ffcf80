import { Hono } from "hono";
import * as z from "zod/mini";
import { changePhone } from "../auth/phone-change";
import { updateProfile } from "../auth/profile";
import { setPassword } from "../auth/reauthenticate";
import { toPublicUser } from "../auth/users";
import type { AppEnv } from "../http/app-env";
import { dbOf, scopeOf, sessionOf } from "../http/context";
import { route } from "../http/contract";
import { nicknameField, passwordField, phoneProof, userResponse } from "../http/schemas";

const avatarUrlField = z
  .url({ protocol: /^https$/, error: "must be an https URL" })
  .check(z.maxLength(512))
  .register(z.globalRegistry, { description: "https URL, at most 512 characters" });

const getMe = route({
  operationId: "getMe",
  tag: "Account",
  summary: "The signed-in user",
  auth: "bearer",
  answers: [{ status: 200, description: "The user.", schema: userResponse }],
  errors: [],
});

// The contract validates the body before it asks for the session: schema (400) → session (401).
const updateMe = route({
  operationId: "updateMe",
  tag: "Account",
  summary: "Update the profile",
  description: "Give `nickname`, `avatarUrl` or both; `avatarUrl: null` removes the avatar.",
  auth: "bearer",
  body: z
    .strictObject({ nickname: z.optional(nicknameField), avatarUrl: z.optional(z.nullable(avatarUrlField)) })
    .check(z.refine((body) => body.nickname !== undefined || body.avatarUrl !== undefined, "give nickname, avatarUrl or both"))
    .register(z.globalRegistry, { minProperties: 1 }),
  answers: [{ status: 200, description: "The updated user.", schema: userResponse }],
  errors: [],
});

const changeMyPhone = route({
  operationId: "changePhone",
  tag: "Account",
  summary: "Change the phone number",
  description:
    "With a `change_phone` code sent to the new number (`phone` + `code`) or the `verificationToken` of one, asked for by this same account. " +
    "Needs a recent authentication (sign-in or POST /v1/auth/reauthenticate within REAUTH_WINDOW_SECONDS). The old number is freed and every other session ends.",
  auth: "bearer",
  recentAuth: true,
  body: phoneProof({}),
  answers: [{ status: 200, description: "The user with the new number.", schema: userResponse }],
  errors: ["invalid_phone", "phone_registered", "code_expired", "invalid_code", "invalid_verification_token", "too_many_attempts", "too_many_requests"],
});

const changePassword = route({
  operationId: "setPassword",
  tag: "Account",
  summary: "Set or change the password",
  description:
    "Sets a password on an account that has none (SMS only), or changes it: `currentPassword` is then required. Needs a recent authentication. " +
    "Every other session of the user ends.",
  auth: "bearer",
  recentAuth: true,
  body: z.strictObject({ newPassword: passwordField, currentPassword: z.optional(passwordField) }),
  answers: [{ status: 204, description: "The password is set." }],
  errors: ["weak_password", "invalid_credentials", "too_many_attempts", "too_many_requests"],
});

export const meRoutes = new Hono<AppEnv>()
  .get("/me", getMe, (c) => {
    const { user, phone } = sessionOf(c);
    return c.json({ user: toPublicUser(user, phone) }, 200);
  })
  .patch("/me", updateMe, async (c) => {
    const user = await updateProfile(dbOf(c), sessionOf(c), c.req.valid("json"));
    return c.json({ user }, 200);
  })
  .post("/me/password", changePassword, async (c) => {
    const { newPassword, currentPassword } = c.req.valid("json");
    await setPassword(scopeOf(c), dbOf(c), sessionOf(c), newPassword, currentPassword);
    return c.body(null, 204);
  })
  .post("/me/phone", changeMyPhone, async (c) => {
    const user = await changePhone(scopeOf(c), dbOf(c), sessionOf(c), c.req.valid("json"));
    return c.json({ user }, 200);
  });
