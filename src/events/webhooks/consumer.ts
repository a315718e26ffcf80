/**
 * The queue() handler: delivers webhooks to their receivers. Per message:
 * - 2xx: acked;
 * - 408, 429, 5xx, a network error or no answer within WEBHOOK_TIMEOUT_MS: retried with growing
 *   delays (the receiver's Retry-After is honoured when longer); after the consumer's max_retries
 *   (wrangler.toml) Cloudflare moves the message to the dead-letter queue;
 * - any other answer (other 4xx, 3xx: the receiver refused this message and will again): acked
 *   and logged, not retried.
 * Dead letters (a queue whose name ends in -dlq) are logged and acked.
 *
 * Delivery is at least once: a receiver may get a message twice and drops duplicates by its
 * webhook-id, which stays the same across retries. Each attempt is signed afresh with its own
 * webhook-timestamp, so a retry hours later still passes the receiver's timestamp tolerance.
 * Logs carry the receiver's host only: a URL may embed the receiver's token.
 */
import { ConfigError, getConfig } from "../../platform/config";
import { createLogger, type Logger } from "../../platform/log";
import { signWebhook } from "./signing";
import type { WebhookMessage } from "./sink";

/** Seconds before attempt n + 1 after n failed attempts, after the Standard Webhooks schedule. */
const RETRY_DELAYS = [5, 300, 1800, 7200, 18000, 36000, 36000];
/** Cloudflare Queues' longest delay: 12 hours. */
const MAX_DELAY_SECONDS = 43200;

export function retryDelaySeconds(attempts: number, retryAfter?: number): number {
  const scheduled = RETRY_DELAYS[Math.min(Math.max(attempts, 1), RETRY_DELAYS.length) - 1]!;
  return Math.min(MAX_DELAY_SECONDS, Math.max(scheduled, retryAfter ?? 0));
}

/** Whether an answer with this status is worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function retryAfterSeconds(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) : (Date.parse(header) - Date.now()) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : undefined;
}

function isWebhookMessage(body: unknown): body is WebhookMessage {
  if (typeof body !== "object" || body === null) return false;
  const m = body as Record<string, unknown>;
  return typeof m.id === "string" && typeof m.url === "string" && typeof m.type === "string" && typeof m.body === "string";
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "invalid";
  }
}

async function deliverOne(message: Message, env: Env, log: Logger): Promise<void> {
  const body = message.body;
  if (!isWebhookMessage(body)) {
    log.event("webhook.malformed", { messageId: message.id });
    message.ack();
    return;
  }
  const fields = { webhookId: body.id, type: body.type, host: hostOf(body.url), attempts: message.attempts };
  let config: ReturnType<typeof getConfig>;
  try {
    config = getConfig(env);
  } catch (error) {
    // A broken deployment: keep the message until it is fixed (or it dead-letters).
    log.event("webhook.not_configured", { ...fields, problems: error instanceof ConfigError ? error.message : "config" });
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    return;
  }
  if (!config.WEBHOOK_SECRET) {
    log.event("webhook.not_configured", { ...fields, problems: "WEBHOOK_SECRET: missing" });
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    return;
  }

  const timestamp = Math.floor(Date.now() / 1000);
  let response: Response;
  try {
    response = await fetch(body.url, {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/json",
        "user-agent": "edge-phone-auth-webhooks",
        "webhook-id": body.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signWebhook(config.WEBHOOK_SECRET, body.id, timestamp, body.body),
      },
      body: body.body,
      signal: AbortSignal.timeout(config.WEBHOOK_TIMEOUT_MS),
    });
    // The answer's body is not needed; cancel it so the connection is released.
    await response.body?.cancel();
  } catch (error) {
    const reason = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError") ? "timeout" : "network_error";
    const delaySeconds = retryDelaySeconds(message.attempts);
    log.event("webhook.retry", { ...fields, error: reason, delaySeconds });
    message.retry({ delaySeconds });
    return;
  }

  if (response.status >= 200 && response.status < 300) {
    log.event("webhook.delivered", { ...fields, status: response.status });
    message.ack();
  } else if (isRetryableStatus(response.status)) {
    const delaySeconds = retryDelaySeconds(message.attempts, retryAfterSeconds(response.headers.get("retry-after")));
    log.event("webhook.retry", { ...fields, status: response.status, delaySeconds });
    message.retry({ delaySeconds });
  } else {
    log.event("webhook.refused", { ...fields, status: response.status });
    message.ack();
  }
}

/** The Worker's queue() handler (src/index.ts). */
export async function handleQueue(batch: MessageBatch, env: Env): Promise<void> {
  const log = createLogger();
  if (batch.queue.endsWith("-dlq")) {
    for (const message of batch.messages) {
      const body = isWebhookMessage(message.body) ? message.body : undefined;
      // An operator replays it from this line (or the queue's dashboard): type, id and host.
      log.event("webhook.dead_letter", {
        queue: batch.queue,
        messageId: message.id,
        webhookId: body?.id,
        type: body?.type,
        host: body ? hostOf(body.url) : undefined,
      });
      message.ack();
    }
    return;
  }
  await Promise.all(batch.messages.map((message) => deliverOne(message, env, log)));
}
