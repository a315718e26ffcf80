import * as z from "zod/mini";
import { bool, int, list } from "./parse";

/**
 * Cloudflare Turnstile on POST /v1/codes (src/limits/turnstile.ts). In production it is on by
 * default: without TURNSTILE_SECRET_KEY the Worker refuses to start unless TURNSTILE_REQUIRED=false
 * says so on purpose, and with it TURNSTILE_HOSTNAMES must name the sites the widget runs on, so a
 * token solved on someone else's page (with our public site key) is refused.
 */
export const turnstileSettings = {
  TURNSTILE_SECRET_KEY: z.optional(z.string()),
  TURNSTILE_TIMEOUT_MS: int(3000, 100, 30000),
  TURNSTILE_REQUIRED: bool(true),
  /** Hostnames siteverify may answer for (comma-separated); unset outside production means unchecked. */
  TURNSTILE_HOSTNAMES: list(""),
  /** The widget's `action`, checked when set. */
  TURNSTILE_ACTION: z.optional(z.string().check(z.maxLength(32))),
};

interface TurnstileConfig {
  TURNSTILE_SECRET_KEY?: string | undefined;
  TURNSTILE_REQUIRED: boolean;
  TURNSTILE_HOSTNAMES: string[];
}

/** The production rules, as (setting, message) problems; names, never values. */
export function turnstileProblems(cfg: TurnstileConfig): { setting: string; message: string }[] {
  if (!cfg.TURNSTILE_SECRET_KEY) {
    if (!cfg.TURNSTILE_REQUIRED) return [];
    return [
      {
        setting: "TURNSTILE_SECRET_KEY",
        message:
          "missing; run `wrangler secret put TURNSTILE_SECRET_KEY --env production`, or set TURNSTILE_REQUIRED=false to run without a captcha on purpose",
      },
    ];
  }
  if (cfg.TURNSTILE_HOSTNAMES.length === 0) {
    return [{ setting: "TURNSTILE_HOSTNAMES", message: "missing; name the hostnames your Turnstile widget runs on (comma-separated)" }];
  }
  return [];
}
