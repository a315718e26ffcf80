import type { Context, MiddlewareHandler, TypedResponse } from "hono";
import type * as z from "zod/mini";
import { requireAdmin } from "./admin-auth";
import type { AppEnv } from "./app-env";
import { requireSession } from "./context";
import type { FieldIssue } from "./errors/api-error";
import type { ErrorCode, ErrorStatus } from "./errors/catalog";
import { requireRecentAuth } from "./recent-auth";
import { jsonBody, queryParams } from "./validate";

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
  schema?: z.core.$ZodType;
  /** Defaults to application/json. */
  mediaType?: string;
}

export const TAGS = {
  Codes: "One-time SMS codes: send, verify.",
  Registration: "Password registration: send a `register` code, verify it, then set a password and the profile.",
  Auth: "Signing in and out, resetting the password.",
  Account: "The signed-in user.",
  WeChat: "WeChat Mini Program sign-in and carrier one-tap: proving a phone without an SMS.",
  Meta: "Health and this documentation.",
  Admin:
    "For operators (docs/admin.md): `Authorization: Bearer <admin key>` or Cloudflare Access. Every route answers 404 when no admin credential is configured.",
} as const;
export type Tag = keyof typeof TAGS;

export interface RouteContract<
  Body extends z.core.$ZodType | undefined = z.core.$ZodType | undefined,
  Codes extends ErrorCode = ErrorCode,
  Query extends z.core.$ZodObject | undefined = z.core.$ZodObject | undefined,
> {
  operationId: string;
  tag: Tag;
  summary: string;
  description?: string;
  /**
   * "bearer": the route needs `Authorization: Bearer <token>`; the contract checks it (401
   * unauthorized) after the body. "optional": works without a session, but reads one when sent.
   * "admin": an admin key or Cloudflare Access (src/http/admin-auth.ts), checked first, before
   * the body: with no admin credential configured the route answers 404 to anyone.
   */
  auth?: "bearer" | "optional" | "admin";
  /**
   * With `auth: "bearer"`: the session must have signed in or re-authenticated within
   * REAUTH_WINDOW_SECONDS (src/http/recent-auth.ts), else 403 reauthentication_required.
   */
  recentAuth?: boolean;
  /** The JSON body, validated before the handler runs (400 invalid_request, 413 payload_too_large). */
  body?: Body;
  /** The query string's parameters (strings), validated before the body (400 invalid_request). */
  query?: Query;
  /** The successful answers, first the usual one. */
  answers: [Answer, ...Answer[]];
  /** The error codes this route's own logic can answer; the common ones are added (commonErrors). */
  errors: readonly Codes[];
}

/** Errors every route can answer besides its own: from its body, its session check, and a crash. */
export type CommonErrors<C extends Pick<RouteContract, "auth" | "body" | "query" | "recentAuth">> =
  | "internal_error"
  | (C["body"] extends z.core.$ZodType ? "invalid_request" | "payload_too_large" : never)
  | (C["query"] extends z.core.$ZodType ? "invalid_request" : never)
  | (C["auth"] extends "bearer" ? "unauthorized" | "account_disabled" : never)
  | (C["auth"] extends "optional" ? "account_disabled" : never)
  | (C["auth"] extends "admin" ? "not_found" | "admin_unauthorized" | "too_many_requests" : never)
  | (C["recentAuth"] extends true ? "reauthentication_required" : never);

export function commonErrors(contract: Pick<RouteContract, "auth" | "body" | "query" | "recentAuth">): ErrorCode[] {
  return [
    ...(contract.body ? (["invalid_request", "payload_too_large"] as const) : []),
    ...(contract.query ? (["invalid_request"] as const) : []),
    ...(contract.auth === "bearer" ? (["unauthorized", "account_disabled"] as const) : []),
    ...(contract.auth === "optional" ? (["account_disabled"] as const) : []),
    ...(contract.auth === "admin" ? (["not_found", "admin_unauthorized", "too_many_requests"] as const) : []),
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
  error: { code: C; message: string; details?: FieldIssue[]; retryAfter?: number; attemptsLeft?: number; fallback?: "sms" };
}

/** One typed answer per error code, each under its own status: what hc<AppType>() shows a client. */
type ErrorAnswers<C extends ErrorCode> = C extends ErrorCode ? TypedResponse<ErrorBody<C>, ErrorStatus<C>, "json"> : never;

type BodyInput<Body> = Body extends z.core.$ZodType ? { in: { json: z.input<Body> }; out: { json: z.output<Body> } } : {};
type QueryInput<Query> = Query extends z.core.$ZodType ? { in: { query: z.input<Query> }; out: { query: z.output<Query> } } : {};
type Input<C extends RouteContract> = C["query"] extends z.core.$ZodType
  ? C["body"] extends z.core.$ZodType
    ? { in: BodyInput<C["body"]>["in"] & QueryInput<C["query"]>["in"]; out: BodyInput<C["body"]>["out"] & QueryInput<C["query"]>["out"] }
    : QueryInput<C["query"]>
  : BodyInput<C["body"]>;

const CONTRACT = Symbol("route contract");

export type ContractMiddleware<C extends RouteContract> = MiddlewareHandler<AppEnv, string, Input<C>, ErrorAnswers<C["errors"][number] | CommonErrors<C>>> & {
  readonly [CONTRACT]: C;
};

/**
 * Makes the contract the route's first middleware: the admin check (admin routes), the query and
 * body validation, then the session check (bearer routes).
 */
export function route<const C extends RouteContract>(contract: C): ContractMiddleware<C> {
  // zValidator is typed for any environment; here it runs in this app's.
  const steps: MiddlewareHandler<AppEnv>[] = [
    ...(contract.auth === "admin" ? [requireAdmin] : []),
    ...(contract.query ? [queryParams(contract.query) as unknown as MiddlewareHandler<AppEnv>] : []),
    ...(contract.body ? [jsonBody(contract.body) as unknown as MiddlewareHandler<AppEnv>] : []),
    ...(contract.auth === "bearer" ? [requireSession] : []),
    // After the session (401) and before the handler: 403 reauthentication_required.
    ...(contract.auth === "bearer" && contract.recentAuth ? [requireRecentAuth] : []),
  ];
  const run = async (c: Context<AppEnv>, index: number, next: () => Promise<void>): Promise<void> => {
    const step = steps[index];
    if (!step) return next();
    await step(c, () => run(c, index + 1, next));
  };
  const middleware = (c: Context<AppEnv>, next: () => Promise<void>): Promise<void> => run(c, 0, next);
  return Object.assign(middleware, { [CONTRACT]: contract }) as unknown as ContractMiddleware<C>;
}

/** The contract a handler carries, if it is a route() middleware. */
export function contractOf(handler: unknown): RouteContract | undefined {
  return typeof handler === "function" && CONTRACT in handler ? (handler as { [CONTRACT]: RouteContract })[CONTRACT] : undefined;
}
