import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { createLogger } from "../../platform/log";
import type { AppEnv } from "../app-env";
import { pickLocale } from "../locale";
import { ApiError } from "./api-error";
import { message } from "./catalog";

/** The one place an error becomes the JSON envelope `{"error":{"code","message",…}}`. */
export function toErrorResponse(c: Context<AppEnv>, error: ApiError): Response {
  const locale = pickLocale(c.req.header("Accept-Language"));
  const { detail, details, retryAfter, attemptsLeft, fallback } = error.options;
  const text = detail ? `${message(error.code, locale)}: ${detail[locale]}` : message(error.code, locale);
  const body = {
    error: {
      code: error.code,
      message: text,
      ...(details ? { details } : {}),
      ...(retryAfter !== undefined ? { retryAfter } : {}),
      ...(attemptsLeft !== undefined ? { attemptsLeft } : {}),
      ...(fallback !== undefined ? { fallback } : {}),
    },
  };
  if (retryAfter !== undefined) c.header("Retry-After", String(retryAfter));
  c.header("Content-Language", locale);
  return c.json(body, error.status);
}

/** app.onError: known errors keep their code; anything else is logged and answered as a bare 500. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof ApiError) return toErrorResponse(c, error);
  if (error instanceof HTTPException) {
    // Hono's own: malformed JSON from the validator (400), and the like.
    if (error.status === 413) return toErrorResponse(c, new ApiError("payload_too_large"));
    if (error.status < 500) {
      return toErrorResponse(c, new ApiError("invalid_request", { details: [{ field: "(body)", message: "malformed JSON" }] }));
    }
  }
  const log = createLogger(c.get("requestId"));
  log.error("request.failed", error, { method: c.req.method, path: c.req.path });
  // Never echo the internal message: it can carry SQL, setting names or stack details.
  return toErrorResponse(c, new ApiError("internal_error"));
}
