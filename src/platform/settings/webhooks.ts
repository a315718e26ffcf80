import * as z from "zod/mini";
import { addIssue, int, list } from "./parse";

/**
 * Webhook settings (docs/webhooks.md). No WEBHOOK_URL: nothing is queued. With one, WEBHOOK_SECRET
 * is required in every environment (a webhook nobody can verify is worse than none), and in
 * production every URL must be https (the payloads carry phone numbers). Messages name the
 * setting, never its value: URLs may embed a receiver's token.
 */

const PREFIX = "whsec_";

/** The secret's key bytes, or undefined when it is not `whsec_` + base64 of 24 to 64 bytes. */
export function webhookKey(secret: string): Uint8Array<ArrayBuffer> | undefined {
  if (!secret.startsWith(PREFIX)) return undefined;
  const encoded = secret.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined;
  try {
    const bytes = Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0));
    return bytes.length >= 24 && bytes.length <= 64 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

const urls = z.pipe(
  list(""),
  z.array(
    z.string().check(
      z.refine((text) => {
        try {
          const url = new URL(text);
          return (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password;
        } catch {
          return false;
        }
      }, "each must be an absolute http(s) URL without credentials"),
    ),
  ),
);

export const webhookSettings = {
  /** Where webhooks are POSTed: one URL or a comma-separated list; each gets its own message. */
  WEBHOOK_URL: urls,
  /** Standard Webhooks secret: `whsec_` + base64 of 24–64 random bytes. */
  WEBHOOK_SECRET: z
    .pipe(
      z.optional(z.string()),
      z.transform((v: string | undefined) => (v?.trim() ? v.trim() : undefined)),
    )
    .check(z.refine((v) => v === undefined || webhookKey(v) !== undefined, "must be whsec_ followed by base64 of 24 to 64 bytes")),
  /** How long the queue consumer waits for a receiver's answer before the attempt counts as failed. */
  WEBHOOK_TIMEOUT_MS: int(10000, 500, 30000),
};

type WebhookConfig = { ENVIRONMENT: string; WEBHOOK_URL: string[]; WEBHOOK_SECRET?: string | undefined };

/** The rules across settings; called from the config's transform. */
export function checkWebhookSettings(cfg: WebhookConfig, payload: z.core.ParsePayload): void {
  if (cfg.WEBHOOK_URL.length === 0) return;
  if (cfg.WEBHOOK_SECRET === undefined) {
    const where = cfg.ENVIRONMENT === "production" ? "`wrangler secret put WEBHOOK_SECRET --env production`" : ".dev.vars";
    addIssue(payload, `missing; required when WEBHOOK_URL is set (${where})`, ["WEBHOOK_SECRET"]);
  }
  if (cfg.ENVIRONMENT === "production" && cfg.WEBHOOK_URL.some((url) => !url.startsWith("https:"))) {
    addIssue(payload, "must be https in production (webhooks carry phone numbers)", ["WEBHOOK_URL"]);
  }
}
