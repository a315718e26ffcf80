import * as z from "zod";
import { ERRORS, type ErrorCode } from "../errors/api-error";
import { message } from "../errors/catalog";
import {
  changePhoneBody,
  errorResponse,
  healthResponse,
  passwordLoginBody,
  registerPasswordBody,
  registerPasswordResponse,
  registerProfileBody,
  resetPasswordBody,
  sendCodeBody,
  sendCodeResponse,
  sessionResponse,
  smsLoginBody,
  smsLoginResponse,
  updateProfileBody,
  userResponse,
  verifyCodeBody,
  verifyCodeResponse,
} from "../schemas";

/**
 * The OpenAPI 3.1 document served at GET /openapi.json, generated from the route registry below
 * and the very zod schemas the routes validate with (src/schemas.ts): there is no second,
 * hand-written description to drift.
 *
 * Adding a route = adding one entry to ROUTES. test/openapi.test.ts fails while a route the app
 * serves has no entry here (or an entry names a route the app does not serve).
 */

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface Answer {
  status: 200 | 201 | 202 | 204 | 503;
  description: string;
  /** The JSON body; none for an empty answer (204). */
  schema?: z.ZodType;
  /** Defaults to application/json. */
  mediaType?: string;
}

export interface RouteDoc {
  method: HttpMethod;
  /** Exactly as Hono serves it, mount prefix included; `:name` segments become path parameters. */
  path: string;
  operationId: string;
  tag: Tag;
  summary: string;
  description?: string;
  /**
   * "bearer": needs `Authorization: Bearer <token>` (401 unauthorized is listed automatically).
   * "optional": works without a session, but reads one when sent.
   */
  auth?: "bearer" | "optional";
  /** The very schema the route hands to jsonBody(); adds 400 invalid_request and 413 payload_too_large. */
  body?: z.ZodType;
  /** The successful answers, first the usual one. */
  answers: [Answer, ...Answer[]];
  /** The error codes this route's own logic can answer; see COMMON_ERRORS for those added for you. */
  errors: readonly ErrorCode[];
}

export const TAGS = {
  Codes: "One-time SMS codes: send, verify.",
  Registration: "Password registration: send a `register` code, verify it, then set a password and the profile.",
  Auth: "Signing in and out, resetting the password.",
  Account: "The signed-in user.",
  Meta: "Health and this documentation.",
} as const;
export type Tag = keyof typeof TAGS;

/** Any JSON body: the shape of this document itself. */
const openApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }).meta({ description: "This OpenAPI 3.1 document" });

export const ROUTES: readonly RouteDoc[] = [
  {
    method: "post",
    path: "/v1/codes",
    operationId: "sendCode",
    tag: "Codes",
    summary: "Send a code by SMS",
    description:
      "Sends a one-time code for `purpose`. `register` and `change_phone` refuse a registered number; `change_phone` needs a session. " +
      "`reset_password` to an unknown number answers the same but sends nothing. Limits: a resend interval and a daily cap per number, a cap per client address, a daily SMS budget.",
    auth: "optional",
    body: sendCodeBody,
    answers: [{ status: 202, description: "The code is on its way.", schema: sendCodeResponse }],
    errors: ["invalid_phone", "country_not_allowed", "captcha_failed", "unauthorized", "phone_registered", "too_many_requests", "sms_budget_exhausted", "sms_send_failed", "sms_not_configured"],
  },
  {
    method: "post",
    path: "/v1/codes/verify",
    operationId: "verifyCode",
    tag: "Codes",
    summary: "Verify a code",
    description: "Spends the code and answers a short-lived `verificationToken` for the next step of its purpose (register, reset the password, change the phone).",
    body: verifyCodeBody,
    answers: [{ status: 200, description: "The code was right.", schema: verifyCodeResponse }],
    errors: ["invalid_phone", "code_expired", "invalid_code", "too_many_attempts", "too_many_requests"],
  },
  {
    method: "post",
    path: "/v1/auth/sms-login",
    operationId: "smsLogin",
    tag: "Auth",
    summary: "Sign in with an SMS code",
    description: "Signs in with a `login` code; a number not seen before is registered (`isNewUser: true`). Answers a bearer session token.",
    body: smsLoginBody,
    answers: [{ status: 200, description: "Signed in.", schema: smsLoginResponse }],
    errors: ["invalid_phone", "code_expired", "invalid_code", "too_many_attempts", "too_many_requests"],
  },
  {
    method: "post",
    path: "/v1/register/password",
    operationId: "registerPassword",
    tag: "Registration",
    summary: "Set the password of a registration",
    description: "Step 3 of 4, with the `verificationToken` of a `register` code. Repeatable until step 4; the last password wins. Answers the seconds left on the token.",
    body: registerPasswordBody,
    answers: [{ status: 200, description: "The password is kept for step 4.", schema: registerPasswordResponse }],
    errors: ["invalid_verification_token", "password_mismatch", "weak_password"],
  },
  {
    method: "post",
    path: "/v1/register/profile",
    operationId: "registerProfile",
    tag: "Registration",
    summary: "Complete a registration",
    description: "Step 4 of 4: spends the `verificationToken`, creates the account and signs it in. 409 password_required without step 3.",
    body: registerProfileBody,
    answers: [{ status: 201, description: "Registered and signed in.", schema: sessionResponse }],
    errors: ["invalid_verification_token", "password_required", "phone_registered"],
  },
  {
    method: "post",
    path: "/v1/auth/password-login",
    operationId: "passwordLogin",
    tag: "Auth",
    summary: "Sign in with a password",
    description: "An unknown number, an account without a password and a wrong password all answer 401 invalid_credentials. Too many failures lock the number for a while (429).",
    body: passwordLoginBody,
    answers: [{ status: 200, description: "Signed in.", schema: sessionResponse }],
    errors: ["invalid_phone", "invalid_credentials", "too_many_attempts", "too_many_requests"],
  },
  {
    method: "post",
    path: "/v1/auth/logout",
    operationId: "logout",
    tag: "Auth",
    summary: "Sign out",
    description: "Deletes the session the bearer token names.",
    auth: "bearer",
    answers: [{ status: 204, description: "Signed out." }],
    errors: [],
  },
  {
    method: "post",
    path: "/v1/password/reset",
    operationId: "resetPassword",
    tag: "Auth",
    summary: "Reset the password",
    description: "With a `reset_password` code (`phone` + `code`) or the `verificationToken` of one. Ends every session of the account.",
    body: resetPasswordBody,
    answers: [{ status: 204, description: "The password is changed; sign in again." }],
    errors: ["invalid_phone", "weak_password", "code_expired", "invalid_code", "invalid_verification_token", "too_many_attempts", "too_many_requests"],
  },
  {
    method: "get",
    path: "/v1/me",
    operationId: "getMe",
    tag: "Account",
    summary: "The signed-in user",
    auth: "bearer",
    answers: [{ status: 200, description: "The user.", schema: userResponse }],
    errors: [],
  },
  {
    method: "patch",
    path: "/v1/me",
    operationId: "updateMe",
    tag: "Account",
    summary: "Update the profile",
    description: "Give `nickname`, `avatarUrl` or both; `avatarUrl: null` removes the avatar.",
    auth: "bearer",
    body: updateProfileBody,
    answers: [{ status: 200, description: "The updated user.", schema: userResponse }],
    errors: [],
  },
  {
    method: "post",
    path: "/v1/me/phone",
    operationId: "changePhone",
    tag: "Account",
    summary: "Change the phone number",
    description: "With a `change_phone` code sent to the new number (`phone` + `code`) or the `verificationToken` of one. The old number is freed.",
    auth: "bearer",
    body: changePhoneBody,
    answers: [{ status: 200, description: "The user with the new number.", schema: userResponse }],
    errors: ["invalid_phone", "phone_registered", "code_expired", "invalid_code", "invalid_verification_token", "too_many_attempts", "too_many_requests"],
  },
  {
    method: "get",
    path: "/healthz",
    operationId: "health",
    tag: "Meta",
    summary: "Health",
    description: "Liveness, and for each configured SMS provider whether its settings are complete (names of missing settings only).",
    answers: [
      { status: 200, description: "Healthy.", schema: healthResponse },
      { status: 503, description: "An SMS provider is misconfigured.", schema: healthResponse },
    ],
    errors: [],
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    tag: "Meta",
    summary: "This OpenAPI document",
    description: "404 not_found when the deployment sets DOCS_ENABLED=false.",
    answers: [{ status: 200, description: "The OpenAPI 3.1 document.", schema: openApiDocumentSchema }],
    errors: ["not_found"],
  },
  {
    method: "get",
    path: "/docs",
    operationId: "docs",
    tag: "Meta",
    summary: "API reference page",
    description: "This document rendered as a web page. 404 not_found when the deployment sets DOCS_ENABLED=false.",
    answers: [{ status: 200, description: "An HTML page.", mediaType: "text/html", schema: z.string() }],
    errors: ["not_found"],
  },
];

/** Errors any route can answer, added to every entry's own list. */
export function commonErrors(route: Pick<RouteDoc, "auth" | "body">): ErrorCode[] {
  return [...(route.body ? (["invalid_request", "payload_too_large"] as const) : []), ...(route.auth === "bearer" ? (["unauthorized"] as const) : []), "internal_error"];
}

/** Every error code the route can answer, deduplicated, ordered by status. */
export function errorCodesOf(route: RouteDoc): ErrorCode[] {
  return [...new Set([...route.errors, ...commonErrors(route)])].sort((a, b) => ERRORS[a] - ERRORS[b]);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
export type OpenApiDocument = JsonObject & { openapi: string; paths: Record<string, Record<string, JsonObject>> };

const COMPONENT_REF = "#/components/schemas/";

/**
 * A zod schema as an OpenAPI 3.1 Schema Object (JSON Schema 2020-12). Schemas that carry a
 * `.meta({ id })` (User, Error) go to components.schemas once and are referenced from everywhere.
 *
 * io "input" for bodies and answers alike: request objects are strictObject, so unknown fields are
 * refused (additionalProperties: false); answer objects stay open, so a client must ignore a field
 * it does not know yet, which lets the API add fields without breaking anyone.
 */
function toSchema(schema: z.ZodType, components: Record<string, Json>): Json {
  const generated = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" }) as JsonObject;
  // $schema would name plain 2020-12; an OpenAPI 3.1 Schema Object uses the document's dialect.
  const { $schema: _dialect, $defs, ...root } = generated;
  for (const [name, def] of Object.entries(($defs ?? {}) as JsonObject)) {
    const moved = moveRefs(def);
    const existing = components[name];
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(moved)) {
      throw new Error(`openapi: two different schemas carry the id "${name}"`);
    }
    components[name] = moved;
  }
  return moveRefs(root);
}

/** zod writes references as #/$defs/Name; in the document they live in #/components/schemas/Name. */
function moveRefs(value: Json): Json {
  if (Array.isArray(value)) return value.map(moveRefs);
  if (value === null || typeof value !== "object") return value;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === "$ref" && typeof inner === "string") {
      if (!inner.startsWith("#/$defs/")) throw new Error(`openapi: unexpected reference ${inner}`);
      out[key] = COMPONENT_REF + inner.slice("#/$defs/".length);
    } else {
      out[key] = moveRefs(inner);
    }
  }
  return out;
}

/** "/v1/items/:id{[0-9]+}" → "/v1/items/{id}" and its path parameters. */
function openApiPath(path: string): { path: string; parameters: string[] } {
  const parameters: string[] = [];
  const converted = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, (_all, name: string) => {
    parameters.push(name);
    return `{${name}}`;
  });
  return { path: converted, parameters };
}

function exampleError(code: ErrorCode): JsonObject {
  const error: JsonObject = { code, message: message(code, "en") };
  if (code === "invalid_request") error.details = [{ field: "phone", message: "Invalid input: expected string, received number" }];
  if (code === "invalid_code") error.attemptsLeft = 4;
  if (code === "too_many_requests" || code === "too_many_attempts" || code === "sms_budget_exhausted") error.retryAfter = 60;
  return { error };
}

function errorAnswers(codes: ErrorCode[]): Record<string, JsonObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERRORS[code], [...(byStatus.get(ERRORS[code]) ?? []), code]);
  const answers: Record<string, JsonObject> = {};
  for (const [status, group] of byStatus) {
    const answer: JsonObject = {
      description: group.map((code) => `\`${code}\`: ${message(code, "en")}`).join("; "),
      content: {
        "application/json": {
          schema: { $ref: `${COMPONENT_REF}Error` },
          examples: Object.fromEntries(group.map((code) => [code, { summary: code, value: exampleError(code) }])),
        },
      },
    };
    if (status === 429 || status === 503) {
      answer.headers = { "Retry-After": { description: "Seconds until a retry can succeed (with `error.retryAfter`).", schema: { type: "integer", minimum: 1 } } };
    }
    answers[String(status)] = answer;
  }
  return answers;
}

/** Builds the document; `routes` is a parameter for the tests. */
export function buildOpenApiDocument(routes: readonly RouteDoc[] = ROUTES): OpenApiDocument {
  const components: Record<string, Json> = {};
  // The error envelope is a component even before any route answers an error.
  const errorSchema = toSchema(errorResponse, components);
  if (!components.Error) components.Error = errorSchema;

  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const { path, parameters } = openApiPath(route.path);
    const item = (paths[path] ??= {});
    if (item[route.method]) throw new Error(`openapi: ${route.method.toUpperCase()} ${route.path} is listed twice`);

    const responses: JsonObject = {};
    for (const answer of route.answers) {
      responses[String(answer.status)] = {
        description: answer.description,
        ...(answer.schema ? { content: { [answer.mediaType ?? "application/json"]: { schema: toSchema(answer.schema, components) } } } : {}),
      };
    }
    Object.assign(responses, errorAnswers(errorCodesOf(route)));

    const operation: JsonObject = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      parameters: [...parameters.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })), { $ref: "#/components/parameters/AcceptLanguage" }],
      ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(route.body, components) } } } } : {}),
      responses,
      // [] = no authentication; [{}, …] = optional.
      security: route.auth === "bearer" ? [{ bearer: [] }] : route.auth === "optional" ? [{}, { bearer: [] }] : [],
    };
    item[route.method] = operation;
  }

  return {
    openapi: "3.1.1",
    info: {
      title: "edge-phone-auth",
      version: "v1",
      description:
        "Sign-in with SMS codes. Every error answers the envelope `{\"error\": {\"code\", \"message\", …}}` (schema `Error`); " +
        "the `code` is stable, the `message` follows Accept-Language (zh-CN or en).",
    },
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: components,
      parameters: {
        AcceptLanguage: {
          name: "Accept-Language",
          in: "header",
          required: false,
          description: "The language of `error.message`: zh-CN (the default) or en.",
          schema: { type: "string", example: "en" },
        },
      },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "The `token` answered by a sign-in, as `Authorization: Bearer <token>`." },
      },
    },
  };
}

let cached: OpenApiDocument | undefined;

/** The document for ROUTES, built once per isolate. */
export function openApiDocument(): OpenApiDocument {
  return (cached ??= buildOpenApiDocument());
}
