import type * as z from "zod/mini";
import { type Json, type JsonObject, toSchema } from "./schema";

/** An outgoing webhook: its event type and the schema of the JSON body POSTed to the receiver. */
export interface DocumentedWebhook {
  name: string;
  summary: string;
  body: z.core.$ZodType;
}

const WEBHOOK_HEADERS = [
  ["webhook-id", "The message id (msg_…), the same on every retry: drop a message whose id you have seen (delivery is at least once)."],
  ["webhook-timestamp", "Unix seconds when this attempt was signed; refuse one more than 5 minutes away from your clock."],
  [
    "webhook-signature",
    "`v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` keyed with the base64-decoded WEBHOOK_SECRET (after `whsec_`).",
  ],
] as const;

/** OpenAPI 3.1 `webhooks`: what this service POSTs to WEBHOOK_URL (Standard Webhooks, docs/webhooks.md). */
export function webhookItems(webhooks: readonly DocumentedWebhook[], components: Record<string, Json>): Record<string, JsonObject> {
  const items: Record<string, JsonObject> = {};
  for (const webhook of webhooks) {
    items[webhook.name] = {
      post: {
        operationId: `webhook:${webhook.name}`,
        tags: ["Webhooks"],
        summary: webhook.summary,
        parameters: WEBHOOK_HEADERS.map(([name, description]) => ({ name, in: "header", required: true, description, schema: { type: "string" } })),
        requestBody: { required: true, content: { "application/json": { schema: toSchema(webhook.body, components) } } },
        responses: {
          "2XX": { description: "Received. 408, 429 and 5xx (or no answer in time) are retried with growing delays; any other status drops the message." },
        },
      },
    };
  }
  return items;
}
