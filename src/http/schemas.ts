import * as z from "zod/mini";
import { PURPOSES } from "../codes/purpose";
import type { ErrorBody } from "./contract";
import { ERROR_CODES } from "./errors/catalog";

/**
 * The schemas several routes share: fields, the user, the sign-in answer and the error envelope.
 * A schema only one route uses lives in that route's file, beside its handler.
 * Request objects are strict: an unknown field is a 400, not silently ignored.
 */

export const phoneField = z.string().check(z.minLength(1), z.maxLength(32)).register(z.globalRegistry, {
  description: "E.164 (+8613800138000) or a mainland number (13800138000); spaces and dashes allowed",
  example: "+8613800138000",
});
export const purposeField = z.enum(PURPOSES);
export const codeField = z
  .string()
  .check(z.regex(/^\d{4,8}$/, "4 to 8 digits"))
  .register(z.globalRegistry, { example: "123456" });
export const verificationTokenField = z.string().check(z.minLength(1), z.maxLength(1024));
export const passwordField = z
  .string()
  .check(z.minLength(1), z.maxLength(256))
  .register(z.globalRegistry, { description: "8–64 characters, not all digits, not containing the phone number" });

export const userSchema = z
  .object({
    id: z.string(),
    phone: z.nullable(z.string()),
    nickname: z.nullable(z.string()),
    avatarUrl: z.nullable(z.string()),
    hasPassword: z.boolean(),
    createdAt: z.string().register(z.globalRegistry, { format: "date-time" }),
  })
  .register(z.globalRegistry, { id: "User" });

export const userResponse = z.object({ user: userSchema });
/** What every sign-in (and a refresh) answers: src/http/session-answer.ts builds it. */
export const sessionResponse = z.object({
  accessToken: z.string().register(z.globalRegistry, { description: "EdDSA-signed JWT: send it as `Authorization: Bearer <accessToken>`" }),
  accessTokenExpiresAt: z.string().register(z.globalRegistry, { format: "date-time" }),
  refreshToken: z.string().register(z.globalRegistry, { description: "Exchange it at POST /v1/auth/refresh for new tokens; single use" }),
  refreshTokenExpiresAt: z.string().register(z.globalRegistry, { format: "date-time" }),
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
      details: z.optional(z.array(z.object({ field: z.string(), message: z.string() }))),
      retryAfter: z.optional(z.number().check(z.int())),
      attemptsLeft: z.optional(z.number().check(z.int())),
      fallback: z.optional(z.enum(["sms"])).register(z.globalRegistry, { description: "Offer this way to sign in instead (a refused carrier one-tap token)" }),
    }),
  })
  .register(z.globalRegistry, { id: "Error" });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** ErrorBody (the type a client sees) is spelled out by hand; this keeps it equal to the schema. */
export type ErrorBodyMatchesSchema = Assert<Same<ErrorBody, z.output<typeof errorResponse>>>;

// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const nicknameField = z
  .pipe(
    z.pipe(
      z.string().check(z.maxLength(256)),
      z.transform((s: string) => s.trim()),
    ),
    z.string().check(
      z.minLength(1, "must not be blank"),
      z.refine((s) => [...s].length <= 32, "at most 32 characters"),
      z.refine((s) => !CONTROL.test(s), "must not contain control characters"),
    ),
  )
  .register(z.globalRegistry, { description: "1–32 characters after trimming, no control characters", example: "小明" });
