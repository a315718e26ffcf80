/**
 * The webhook sink: turns a domain event into a Standard Webhooks body and puts one message per
 * receiver URL on the EVENTS queue (so a failing receiver is retried alone, never re-delivered to
 * the others). The request does not wait for it (publish() defers the work) and a failed enqueue
 * is logged, never the caller's error. No WEBHOOK_URL: nothing is queued.
 */
import type { RequestScope } from "../../platform/scope";
import type { DomainEvent } from "../types";
import { webhookOf } from "./contracts";
import { newWebhookId } from "./signing";

/** What is on the queue: the receiver, the id (stable across retries) and the exact body to sign. */
export interface WebhookMessage {
  id: string;
  url: string;
  type: string;
  body: string;
}

/** An EventSink (src/events/sinks.ts lists it). */
export function webhookSink(scope: RequestScope, event: DomainEvent): Promise<unknown> | undefined {
  const urls = scope.config.WEBHOOK_URL;
  if (urls.length === 0) return undefined;
  const webhook = webhookOf(event);
  if (!webhook) return undefined;
  const id = newWebhookId();
  const body = JSON.stringify({ type: webhook.type, timestamp: new Date().toISOString(), data: webhook.data });
  const messages = urls.map((url): { body: WebhookMessage; contentType: "json" } => ({ body: { id, url, type: webhook.type, body }, contentType: "json" }));
  return scope.env.EVENTS.sendBatch(messages).catch((error: unknown) => {
    scope.log.error("webhook.enqueue_failed", error, { type: webhook.type, webhookId: id });
  });
}
