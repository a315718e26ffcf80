import type { Hono } from "hono";
import type { Endpoint, Env, ExtractSchema, Schema } from "hono/types";
import type { z } from "zod";
import type { ERRORS, ErrorCode, FieldIssue } from "../errors/api-error";
import type { errorResponse } from "../schemas";

/**
 * Types only (nothing here exists at run time): what `hc<AppType>()` tells a front end.
 *
 * Routes answer errors by throwing ApiError, which Hono's route types cannot see, so `typeof app`
 * alone claims e.g. that GET /v1/me only ever answers 200 `{ user }`. WithErrorAnswers adds the
 * error envelope, with every status an error is sent with (src/errors.ts ERRORS), to each route:
 * the client must then check `res.ok` (or `res.status`) before `res.json()` is the success body.
 */

/**
 * The error envelope every error answers. Spelled out (not z.output<…>) so a front end compiling
 * against the emitted declarations needs no zod; the check below keeps it equal to the schema.
 */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: FieldIssue[]; retryAfter?: number; attemptsLeft?: number };
}
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ErrorBodyMatchesSchema = Assert<Same<ErrorBody, z.output<typeof errorResponse>>>;
export type ErrorStatus = (typeof ERRORS)[keyof typeof ERRORS];

type OrError<E> = E extends Endpoint ? E | { input: E["input"]; output: ErrorBody; outputFormat: "json"; status: ErrorStatus } : never;

type AddErrors<S extends Schema> = { [Path in keyof S]: { [Method in keyof S[Path]]: OrError<S[Path][Method]> } };

export type WithErrorAnswers<App> =
  App extends Hono<infer E extends Env>
    ? ExtractSchema<App> extends infer S extends Schema
      ? AddErrors<S> extends infer WithErrors extends Schema
        ? Hono<E, WithErrors>
        : never
      : never
    : never;
