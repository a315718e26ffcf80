import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Locale } from "./catalog";

/** Every error the API can answer, with the status it is always sent with. */
export const ERRORS = {
  invalid_request: 400,
  invalid_phone: 400,
  country_not_allowed: 400,
  invalid_code: 400,
  code_expired: 400,
  password_mismatch: 400,
  weak_password: 400,
  unauthorized: 401,
  invalid_verification_token: 401,
  invalid_credentials: 401,
  captcha_failed: 403,
  not_found: 404,
  method_not_allowed: 405,
  phone_registered: 409,
  password_required: 409,
  payload_too_large: 413,
  too_many_requests: 429,
  too_many_attempts: 429,
  internal_error: 500,
  sms_send_failed: 502,
  sms_not_configured: 503,
  sms_budget_exhausted: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERRORS;

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
}

/**
 * The one error type of the API. Domain code throws it; `toErrorResponse` (src/http/errors.ts)
 * is the one place that turns it into the JSON envelope.
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;

  constructor(
    readonly code: ErrorCode,
    readonly options: ApiErrorOptions = {},
  ) {
    super(code);
    this.name = "ApiError";
    this.status = ERRORS[code];
    if (options.retryAfter !== undefined) {
      // Retry-After is whole seconds and never 0: a client told "0" would hammer us.
      this.options = { ...options, retryAfter: Math.max(1, Math.ceil(options.retryAfter)) };
    }
  }
}
