import type { Context, MiddlewareHandler, TypedResponse } from "hono";
import type { z } from "zod";
import type { AppEnv } from "./app-env";
import { requireSession } from "./context";
import type { FieldIssue } from "./errors/api-error";
import type { ErrorCode, ErrorStatus } from "./errors/catalog";
import { assertRecentAuth } from "./recent-auth";
import { jsonBody } from "./validate";

/**
 * A route's contract, declared beside its handler as the route's first middleware:
 *
 *   .post("/codes", route(sendCode), async (c) => { … c.req.valid("json") … })
 *
 * The same object drives what the route does and what is said about it: the body schema is the
 * one the request is validated with, `auth: "bearer"` is what makes the route demand a session,
 * and the OpenAPI document (openapi/generator.ts) and the typed client's error answers are built
 * by walking the app's routes and reading these contracts. Nothing is written twice.
 */
export interface Answer {
  status: 200 | 201 | 202 | 204 | 503;
  description: string;
  /** The JSON body; none for an empty answer (204). */
  schema?: z.ZodType;
  /** Defaults to application/json. */
  mediaType?: string;
}

export const TAGS = {
  Codes: "One-time SMS codes: send, verify.",
  Registration: "Password registration: send a `register` code, verify it, then set a password and the profile.",
  Auth: "Signing in and out, resetting the password.",
  Account: "The signed-in user.",
  Meta: "Health and this documentation.",
} as const;
export type Tag = keyof typeof TAGS;

export interface RouteContract<Body extends z.ZodType | undefined = z.ZodType | undefined, Codes extends ErrorCode = ErrorCode> {
  operationId: string;
  tag: Tag;
  summary: string;
  description?: string;
  /**
   * "bearer": the route needs `Authorization: Bearer <token>`; the contract checks it (401
   * unauthorized) after the body. "optional": works without a session, but reads one when sent.
   */
  auth?: "bearer" | "optional";
  /**
   * With `auth: "bearer"`: the session must have signed in or re-authenticated within
   * REAUTH_WINDOW_SECONDS (src/http/recent-auth.ts), else 403 reauthentication_required.
   */
  recentAuth?: boolean;
  /** The JSON body, validated before the handler runs (400 invalid_request, 413 payload_too_large). */
  body?: Body;
  /** The successful answers, first the usual one. */
  answers: [Answer, ...Answer[]];
  /** The error codes this route's own logic can answer; the common ones are added (commonErrors). */
  errors: readonly Codes[];
}

/** Errors every route can answer besides its own: from its body, its session check, and a crash. */
export type CommonErrors<C extends Pick<RouteContract, "auth" | "body" | "recentAuth">> =
  | "internal_error"
  | (C["body"] extends z.ZodType ? "invalid_request" | "payload_too_large" : never)
  | (C["auth"] extends "bearer" ? "unauthorized" : never)
  | (C["recentAuth"] extends true ? "reauthentication_required" : never);

export function commonErrors(contract: Pick<RouteContract, "auth" | "body" | "recentAuth">): ErrorCode[] {
  return [
    ...(contract.body ? (["invalid_request", "payload_too_large"] as const) : []),
    ...(contract.auth === "bearer" ? (["unauthorized"] as const) : []),
    ...(contract.auth === "bearer" && contract.recentAuth ? (["reauthentication_required"] as const) : []),
    "internal_error",
  ];
}

/**
 * The error envelope every error answers, for error codes C. Spelled out (not z.output<…>) so a
 * front end compiling against the emitted declarations needs no zod; a type check in
 * http/schemas.ts keeps it equal to the schema the document publishes.
 */
export interface ErrorBody<C extends ErrorCode = ErrorCode> {
  error: { code: C; message: string; details?: FieldIssue[]; retryAfter?: number; attemptsLeft?: number };
}

/** One typed answer per error code, each under its own status: what hc<AppType>() shows a client. */
type ErrorAnswers<C extends ErrorCode> = C extends ErrorCode ? TypedResponse<ErrorBody<C>, ErrorStatus<C>, "json"> : never;

type BodyInput<Body> = Body extends z.ZodType ? { in: { json: z.input<Body> }; out: { json: z.output<Body> } } : {};

const CONTRACT = Symbol("route contract");

export type ContractMiddleware<C extends RouteContract> = MiddlewareHandler<
  AppEnv,
  string,
  BodyInput<C["body"]>,
  ErrorAnswers<C["errors"][number] | CommonErrors<C>>
> & {
  readonly [CONTRACT]: C;
};

/** Makes the contract the route's first middleware: body validation, then the session check. */
export function route<const C extends RouteContract>(contract: C): ContractMiddleware<C> {
  // zValidator is typed for any environment; here it runs in this app's.
  const validate = contract.body ? (jsonBody(contract.body) as unknown as MiddlewareHandler<AppEnv>) : undefined;
  const bearer = contract.auth === "bearer";
  // Order: body (400) → session (401) → recent authentication (403) → handler.
  const recent = bearer && contract.recentAuth === true;
  const session = (c: Context<AppEnv>, next: () => Promise<void>) =>
    requireSession(
      c,
      recent
        ? async () => {
            assertRecentAuth(c);
            await next();
          }
        : next,
    );
  const middleware = async (c: Context<AppEnv>, next: () => Promise<void>): Promise<void> => {
    if (validate && bearer) return void (await validate(c, async () => void (await session(c, next))));
    if (validate) return void (await validate(c, next));
    if (bearer) return void (await session(c, next));
    await next();
  };
  return Object.assign(middleware, { [CONTRACT]: contract }) as unknown as ContractMiddleware<C>;
}

/** The contract a handler carries, if it is a route() middleware. */
export function contractOf(handler: unknown): RouteContract | undefined {
  return typeof handler === "function" && CONTRACT in handler ? (handler as { [CONTRACT]: RouteContract })[CONTRACT] : undefined;
}
