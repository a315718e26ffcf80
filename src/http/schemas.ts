import * as z from "zod";
import { PURPOSES } from "../codes/purpose";
import type { ErrorBody } from "./contract";
import { ERROR_CODES } from "./errors/catalog";

/**
 * The schemas several routes share: fields, the user, the sign-in answer and the error envelope.
 * A schema only one route uses lives in that route's file, beside its handler.
 * Request objects are strict: an unknown field is a 400, not silently ignored.
 */

export const phoneField = z
  .string()
  .min(1)
  .max(32)
  .meta({ description: "E.164 (+8613800138000) or a mainland number (13800138000); spaces and dashes allowed", example: "+8613800138000" });
export const purposeField = z.enum(PURPOSES);
export const codeField = z
  .string()
  .regex(/^\d{4,8}$/, "4 to 8 digits")
  .meta({ example: "123456" });
export const verificationTokenField = z.string().min(1).max(1024);
export const passwordField = z.string().min(1).max(256).meta({ description: "8–64 characters, not all digits, not containing the phone number" });

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

export const userResponse = z.object({ user: userSchema });
/** What every sign-in (and a refresh) answers: src/http/session-answer.ts builds it. */
export const sessionResponse = z.object({
  accessToken: z.string().meta({ description: "EdDSA-signed JWT: send it as `Authorization: Bearer <accessToken>`" }),
  accessTokenExpiresAt: z.string().meta({ format: "date-time" }),
  refreshToken: z.string().meta({ description: "Exchange it at POST /v1/auth/refresh for new tokens; single use" }),
  refreshTokenExpiresAt: z.string().meta({ format: "date-time" }),
  user: userSchema,
});

/** A code or the verificationToken of one: how a reset or a change of phone proves the number. */
export const phoneProof = <T extends z.core.$ZodLooseShape>(extra: T) =>
  z.union([z.strictObject({ phone: phoneField, code: codeField, ...extra }), z.strictObject({ verificationToken: verificationTokenField, ...extra })]);

export const errorResponse = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
      retryAfter: z.number().int().optional(),
      attemptsLeft: z.number().int().optional(),
      fallback: z.enum(["sms"]).optional().meta({ description: "Offer this way to sign in instead (a refused carrier one-tap token)" }),
    }),
  })
  .meta({ id: "Error" });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** ErrorBody (the type a client sees) is spelled out by hand; this keeps it equal to the schema. */
export type ErrorBodyMatchesSchema = Assert<Same<ErrorBody, z.output<typeof errorResponse>>>;

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
