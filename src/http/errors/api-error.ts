import { HTTPException } from "hono/http-exception";
import type { Locale } from "../locale";
import { type ErrorCode, statusOf } from "./catalog";

export interface FieldIssue {
  field: string;
  message: string;
}

export interface ApiErrorOptions {
  /** Extra words for the message, per locale (e.g. which password rule failed); never a secret. */
  detail?: Record<Locale, string>;
  details?: FieldIssue[];
  retryAfter?: number;
  attemptsLeft?: number;
  /** Another way to sign in the client should offer instead (a refused carrier one-tap token: "sms"). */
  fallback?: "sms";
}

/**
 * The one error type of the API: a code from the catalog (which fixes its status and messages)
 * plus optional details. It extends Hono's HTTPException so that Hono treats it as an answer, not
 * a crash; `handleError` (on-error.ts) is the one place that turns it into the JSON envelope.
 */
export class ApiError extends HTTPException {
  readonly options: ApiErrorOptions;

  constructor(
    readonly code: ErrorCode,
    options: ApiErrorOptions = {},
  ) {
    super(statusOf(code), { message: code });
    this.name = "ApiError";
    // Retry-After is whole seconds and never 0: a client told "0" would hammer us.
    this.options = options.retryAfter === undefined ? options : { ...options, retryAfter: Math.max(1, Math.ceil(options.retryAfter)) };
  }
}
