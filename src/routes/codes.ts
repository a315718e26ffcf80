import { Hono } from "hono";
import { exchangeCode, issueCode } from "../codes/issue";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors/api-error";
import { dbOf, readSession, scopeOf } from "../http/context";
import { jsonBody } from "../http/validate";
import { verifyCaptcha } from "../limits/turnstile";
import { parsePhone } from "../phone/phone";
import { sendCodeBody, verifyCodeBody } from "../http/schemas";
import { isPhoneRegistered } from "../auth/users";

export const codeRoutes = new Hono<AppEnv>()
  .post("/codes", jsonBody(sendCodeBody), async (c) => {
    const { phone: rawPhone, purpose, captchaToken } = c.req.valid("json");
    const scope = scopeOf(c);
    const phone = parsePhone(rawPhone);
    if (!scope.config.ALLOWED_COUNTRIES.includes(phone.country)) throw new ApiError("country_not_allowed");
    await verifyCaptcha(scope, captchaToken);

    if (purpose === "change_phone" && !(await readSession(c))) throw new ApiError("unauthorized");
    let deliver = true;
    if (purpose === "register" || purpose === "change_phone" || purpose === "reset_password") {
      const registered = await isPhoneRegistered(dbOf(c), phone.e164);
      if (registered && purpose !== "reset_password") throw new ApiError("phone_registered");
      // A reset for an unknown number answers exactly like a real one but sends nothing:
      // no account enumeration, no SMS paid for.
      if (!registered && purpose === "reset_password") deliver = false;
    }

    const { expiresIn, resendIn } = await issueCode(scope, phone, purpose, { deliver });
    return c.json({ phone: phone.e164, purpose, expiresIn, resendIn }, 202);
  })
  .post("/codes/verify", jsonBody(verifyCodeBody), async (c) => {
    const { phone: rawPhone, purpose, code } = c.req.valid("json");
    const phone = parsePhone(rawPhone);
    const { verificationToken, expiresIn } = await exchangeCode(scopeOf(c), phone, purpose, code);
    return c.json({ verificationToken, expiresIn }, 200);
  });
