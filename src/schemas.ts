import { z } from "zod";
import { PURPOSES } from "./codes/purpose";
import { ERRORS } from "./errors";

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
export const healthResponse = z.object({ ok: z.boolean() });

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
