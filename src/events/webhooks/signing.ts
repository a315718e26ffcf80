/**
 * Standard Webhooks signatures (standardwebhooks.com): `v1,` + base64 of HMAC-SHA256 over
 * `${id}.${timestamp}.${body}`, keyed with the base64-decoded bytes of the `whsec_` secret.
 * WebCrypto only.
 */
import { randomBytes, toBase64, toBase64Url, utf8 } from "../../platform/crypto";
import { webhookKey } from "../../platform/settings/webhooks";

export async function signWebhook(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = webhookKey(secret);
  // The config refuses a malformed secret, so this only guards a direct call.
  if (!key) throw new Error("WEBHOOK_SECRET is not a whsec_ secret");
  const imported = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `v1,${toBase64(await crypto.subtle.sign("HMAC", imported, utf8(`${id}.${timestamp}.${body}`)))}`;
}

/** A new webhook id: `msg_` + 128 random bits. Stable across retries: receivers dedupe by it. */
export function newWebhookId(): string {
  return `msg_${toBase64Url(randomBytes(16))}`;
}
