import { ApiError } from "../http/errors/api-error";
import type { RequestScope } from "../platform/scope";

export const SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/**
 * When TURNSTILE_SECRET_KEY is set (production refuses to start without it unless
 * TURNSTILE_REQUIRED=false), a code is only sent to a client that passed Cloudflare Turnstile on
 * one of TURNSTILE_HOSTNAMES (and for TURNSTILE_ACTION, when set). Fails closed: if siteverify cannot be reached within TURNSTILE_TIMEOUT_MS the request
 * is refused, because an outage must not turn into an open door for SMS pumping.
 */
export async function verifyCaptcha(scope: RequestScope, token: string | undefined): Promise<void> {
  const secret = scope.config.TURNSTILE_SECRET_KEY;
  if (!secret) return;
  if (!token) {
    scope.log.event("captcha.failed", { reason: "missing" });
    throw new ApiError("captcha_failed");
  }
  const form = new FormData();
  form.set("secret", secret);
  form.set("response", token);
  if (scope.clientIp) form.set("remoteip", scope.clientIp);
  let outcome: { success?: unknown; "error-codes"?: unknown; hostname?: unknown; action?: unknown };
  try {
    const response = await fetch(SITEVERIFY_URL, { method: "POST", body: form, signal: AbortSignal.timeout(scope.config.TURNSTILE_TIMEOUT_MS) });
    const body: unknown = await response.json();
    // Anything but a JSON object (a proxy's `null`, an array) is a refusal, not a TypeError below.
    outcome = body !== null && typeof body === "object" ? (body as typeof outcome) : {};
  } catch (error) {
    scope.log.event("captcha.failed", { reason: error instanceof Error && error.name === "TimeoutError" ? "timeout" : "unreachable" });
    throw new ApiError("captcha_failed");
  }
  if (outcome.success !== true) {
    scope.log.event("captcha.failed", { reason: Array.isArray(outcome["error-codes"]) ? outcome["error-codes"].join(",") : "rejected" });
    throw new ApiError("captcha_failed");
  }
  // A token solved on another site with our public site key, or for another widget, is no pass.
  const { TURNSTILE_HOSTNAMES: hostnames, TURNSTILE_ACTION: action } = scope.config;
  if (hostnames.length > 0 && !(typeof outcome.hostname === "string" && hostnames.includes(outcome.hostname))) {
    scope.log.event("captcha.failed", { reason: "hostname" });
    throw new ApiError("captcha_failed");
  }
  if (action !== undefined && outcome.action !== action) {
    scope.log.event("captcha.failed", { reason: "action" });
    throw new ApiError("captcha_failed");
  }
}
