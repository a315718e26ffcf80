import { type Context, Hono } from "hono";
import * as z from "zod/mini";
import type { SessionUser } from "../auth/sessions";
import { isPhoneRegistered } from "../auth/users";
import { issueCode } from "../codes/issue";
import type { Purpose } from "../codes/purpose";
import { exchangeCode } from "../codes/verify";
import type { AppEnv } from "../http/app-env";
import { dbOf, readSession, scopeOf } from "../http/context";
import { route } from "../http/contract";
import { ApiError } from "../http/errors/api-error";
import { codeField, phoneField, purposeField } from "../http/schemas";
import { verifyCaptcha } from "../limits/turnstile";
import { parsePhone } from "../phone/phone";

const sendCode = route({
  operationId: "sendCode",
  tag: "Codes",
  summary: "Send a code by SMS",
  description:
    "Sends a one-time code for `purpose`. `register` and `change_phone` refuse a registered number; `change_phone` needs a session; " +
    "`reauthenticate` needs a session and goes only to that account's own number. " +
    "`reset_password` to an unknown number answers the same but sends nothing. Limits: a resend interval and a daily cap per number, a cap per client address, a daily SMS budget.",
  auth: "optional",
  body: z.strictObject({
    phone: phoneField,
    purpose: purposeField,
    captchaToken: z
      .optional(z.string().check(z.minLength(1), z.maxLength(4096)))
      .register(z.globalRegistry, { description: "Turnstile token; required when the deployment sets TURNSTILE_SECRET_KEY" }),
  }),
  answers: [
    {
      status: 202,
      description: "The code is on its way.",
      schema: z.object({ phone: z.string(), purpose: purposeField, expiresIn: z.number().check(z.int()), resendIn: z.number().check(z.int()) }),
    },
  ],
  errors: [
    "invalid_phone",
    "country_not_allowed",
    "captcha_failed",
    "unauthorized",
    "phone_registered",
    "too_many_requests",
    "sms_budget_exhausted",
    "sms_send_failed",
    "sms_not_configured",
  ],
});

const verifyCode = route({
  operationId: "verifyCode",
  tag: "Codes",
  summary: "Verify a code",
  description:
    "Spends the code and answers a short-lived `verificationToken` for the next step of its purpose (register, reset the password, change the phone). " +
    "A `change_phone` code is bound to the account that asked for it: verify it with that account's session.",
  auth: "optional",
  body: z.strictObject({ phone: phoneField, purpose: purposeField, code: codeField }),
  answers: [{ status: 200, description: "The code was right.", schema: z.object({ verificationToken: z.string(), expiresIn: z.number().check(z.int()) }) }],
  errors: ["invalid_phone", "unauthorized", "code_expired", "invalid_code", "too_many_attempts", "too_many_requests"],
});

/**
 * Codes that act on an account (change_phone, reauthenticate) need its session (401 otherwise) and
 * are bound to its user id (codes/storage.ts boundTo): a code or token one account asked for is
 * worthless to another.
 */
async function accountSession(c: Context<AppEnv>, purpose: Purpose): Promise<SessionUser | undefined> {
  if (purpose !== "change_phone" && purpose !== "reauthenticate") return undefined;
  const session = await readSession(c);
  if (!session) throw new ApiError("unauthorized");
  return session;
}

export const codeRoutes = new Hono<AppEnv>()
  .post("/codes", sendCode, async (c) => {
    const { phone: rawPhone, purpose, captchaToken } = c.req.valid("json");
    const scope = scopeOf(c);
    const phone = parsePhone(rawPhone);
    if (!scope.config.ALLOWED_COUNTRIES.includes(phone.country)) throw new ApiError("country_not_allowed");
    await verifyCaptcha(scope, captchaToken);

    const session = await accountSession(c, purpose);
    // A reauthenticate code goes only to the account's own current number: it proves the
    // session's holder still has the phone.
    if (purpose === "reauthenticate" && session?.phone !== phone.e164) {
      throw new ApiError("invalid_request", { details: [{ field: "phone", message: "must be the signed-in account's own number" }] });
    }
    let deliver = true;
    if (purpose === "register" || purpose === "change_phone" || purpose === "reset_password") {
      const registered = await isPhoneRegistered(dbOf(c), phone.e164);
      if (registered && purpose !== "reset_password") throw new ApiError("phone_registered");
      // A reset for an unknown number answers exactly like a real one but sends nothing (no
      // account enumeration); it is still charged like a real send (budget, range, address), so
      // locking numbers out costs what sending costs (docs/security.md).
      if (!registered && purpose === "reset_password") deliver = false;
    }

    const { expiresIn, resendIn } = await issueCode(scope, phone, purpose, { deliver, ...(session ? { subject: session.user.id } : {}) });
    return c.json({ phone: phone.e164, purpose, expiresIn, resendIn }, 202);
  })
  .post("/codes/verify", verifyCode, async (c) => {
    const { phone: rawPhone, purpose, code } = c.req.valid("json");
    const phone = parsePhone(rawPhone);
    const session = await accountSession(c, purpose);
    const { verificationToken, expiresIn } = await exchangeCode(scopeOf(c), phone, purpose, code, session?.user.id);
    return c.json({ verificationToken, expiresIn }, 200);
  });
