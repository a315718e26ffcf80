import * as z from "zod";
import { PURPOSES } from "../codes/purpose";
import { ERRORS } from "./errors/api-error";

/**
 * The request and response schemas: the routes validate with these, and /openapi.json is
 * generated from these very objects (src/openapi.ts), so the two cannot drift.
 * Request objects are strict: an unknown field is a 400, not silently ignored.
 */

export const phoneField = z.string().min(1).max(32).meta({ description: "E.164 (+8613800138000) or a mainland number (13800138000); spaces and dashes allowed", example: "+8613800138000" });
export const purposeField = z.enum(PURPOSES);
export const codeField = z.string().regex(/^\d{4,8}$/, "4 to 8 digits").meta({ example: "123456" });
export const verificationTokenField = z.string().min(1).max(1024);
export const passwordField = z.string().min(1).max(256).meta({ description: "8–64 characters, not all digits, not containing the phone number" });

export const sendCodeBody = z.strictObject({
  phone: phoneField,
  purpose: purposeField,
  captchaToken: z.string().min(1).max(4096).optional().meta({ description: "Turnstile token; required when the deployment sets TURNSTILE_SECRET_KEY" }),
});

export const verifyCodeBody = z.strictObject({ phone: phoneField, purpose: purposeField, code: codeField });

export const smsLoginBody = z.strictObject({ phone: phoneField, code: codeField });

export const userSchema = z
  .object({
    id: z.string(),
    phone: z.string().nullable(),
    nickname: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    hasPassword: z.boolean(),
    createdAt: z.string().meta({ format: "date-time" }),
  })
  .meta({ id: "User" });

export const sendCodeResponse = z.object({ phone: z.string(), purpose: purposeField, expiresIn: z.number().int(), resendIn: z.number().int() });
export const verifyCodeResponse = z.object({ verificationToken: z.string(), expiresIn: z.number().int() });
export const sessionResponse = z.object({ token: z.string(), expiresAt: z.string().meta({ format: "date-time" }), user: userSchema });
export const smsLoginResponse = sessionResponse.extend({ isNewUser: z.boolean() });
export const userResponse = z.object({ user: userSchema });
export const healthResponse = z.object({
  ok: z.boolean(),
  /** Each configured SMS provider; a broken one names the settings that are missing or malformed (never values). */
  sms: z.record(z.string(), z.object({ ok: z.boolean(), problems: z.array(z.string()).optional() })),
});

export const errorResponse = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERRORS) as [keyof typeof ERRORS, ...(keyof typeof ERRORS)[]]),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
      retryAfter: z.number().int().optional(),
      attemptsLeft: z.number().int().optional(),
    }),
  })
  .meta({ id: "Error" });

// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const nicknameField = z
  .string()
  .max(256)
  .transform((s) => s.trim())
  .pipe(
    z
      .string()
      .min(1, "must not be blank")
      .refine((s) => [...s].length <= 32, "at most 32 characters")
      .refine((s) => !CONTROL.test(s), "must not contain control characters"),
  )
  .meta({ description: "1–32 characters after trimming, no control characters", example: "小明" });

export const avatarUrlField = z
  .url({ protocol: /^https$/, error: "must be an https URL" })
  .max(512)
  .meta({ description: "https URL, at most 512 characters" });

export const registerPasswordBody = z.strictObject({ verificationToken: verificationTokenField, password: passwordField, passwordConfirm: passwordField });
export const registerPasswordResponse = z.object({ expiresIn: z.number().int() });

export const registerProfileBody = z.strictObject({ verificationToken: verificationTokenField, nickname: nicknameField });

export const passwordLoginBody = z.strictObject({ phone: phoneField, password: passwordField });

export const updateProfileBody = z
  .strictObject({ nickname: nicknameField.optional(), avatarUrl: avatarUrlField.nullable().optional() })
  .refine((body) => body.nickname !== undefined || body.avatarUrl !== undefined, "give nickname, avatarUrl or both")
  .meta({ minProperties: 1 });

export const resetPasswordBody = z.union([
  z.strictObject({ phone: phoneField, code: codeField, newPassword: passwordField }),
  z.strictObject({ verificationToken: verificationTokenField, newPassword: passwordField }),
]);

export const changePhoneBody = z.union([z.strictObject({ phone: phoneField, code: codeField }), z.strictObject({ verificationToken: verificationTokenField })]);
