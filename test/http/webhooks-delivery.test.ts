/**
 * The webhook queue consumer (the Worker's queue() handler), driven with the vitest plugin's
 * queue helpers: each POST is checked with the `standardwebhooks` package, i.e. the signature is
 * recomputed independently of src/; 2xx acks, 408/429/5xx/network errors/timeouts retry with
 * growing delays, other 4xx are dropped; dead letters are logged.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { captureConsole } from "../support/helpers";
import { interceptFetch, interceptHangingFetch } from "../support/intercept";

/** The secret vitest.config.ts gives the Worker. */
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const QUEUE = "edge-phone-auth-events";

const output = captureConsole();
afterEach(() => {
  vi.restoreAllMocks();
  // Logs name the receiver's host, never its URL (which may carry the receiver's token).
  for (const line of output.lines()) expect(line).not.toContain("token=");
});
const logged = (event: string) => output.events(event);

const body = JSON.stringify({ type: "user.created", timestamp: "2026-01-01T00:00:00.000Z", data: { userId: "u1", phone: "+8613800138000", method: "sms" } });
const webhookMessage = (id: string, url = "https://receiver.test/hooks?token=abc") => ({ id, url, type: "user.created", body });

/**
 * Runs the handler on a batch; the result is getQueueResult's, with each retry's delaySeconds (the
 * plugin's MessageBatch records that a message was retried, not the delay, so retry() is spied on).
 */
async function runBatch(messages: { id: string; attempts: number; body: unknown }[], queue = QUEUE, bindings: Env = env) {
  const batch = createMessageBatch(
    queue,
    messages.map((m) => ({ ...m, timestamp: new Date() })),
  );
  const delays = new Map<string, number | undefined>();
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    vi.spyOn(message, "retry").mockImplementation((options) => {
      delays.set(message.id, options?.delaySeconds);
      retry(options);
    });
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings);
  const result = await getQueueResult(batch, ctx);
  return { ...result, retryMessages: result.retryMessages.map(({ msgId }) => ({ msgId, delaySeconds: delays.get(msgId) })) };
}

describe("delivering a webhook", () => {
  it("POSTs the body with Standard Webhooks headers that the standardwebhooks package verifies, and acks on 2xx", async () => {
    const { requests } = interceptFetch(() => new Response("ok", { status: 200 }));
    const result = await runBatch([{ id: "q1", attempts: 1, body: webhookMessage("msg_first") }]);
    expect(result.explicitAcks).toEqual(["q1"]);
    expect(result.retryMessages).toEqual([]);

    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://receiver.test/hooks?token=abc");
    expect(request.headers.get("content-type")).toBe("application/json");
    expect(request.headers.get("webhook-id")).toBe("msg_first");
    expect(Math.abs(Number(request.headers.get("webhook-timestamp")) - Date.now() / 1000)).toBeLessThan(10);
    expect(request.headers.get("webhook-signature")).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const received = await request.text();
    expect(received).toBe(body);
    const verified = new Webhook(SECRET).verify(received, Object.fromEntries(request.headers));
    expect(verified).toEqual(JSON.parse(body));
    // A wrong secret or a changed body does not verify.
    expect(() => new Webhook("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").verify(received, Object.fromEntries(request.headers))).toThrow();
    expect(() => new Webhook(SECRET).verify(received.replace("u1", "u2"), Object.fromEntries(request.headers))).toThrow();
    expect(logged("webhook.delivered")).toEqual([expect.objectContaining({ webhookId: "msg_first", host: "receiver.test", status: 200 })]);
  });

  it("re-signs each attempt with a fresh timestamp and keeps the webhook-id", async () => {
    const { requests } = interceptFetch(() => new Response(null, { status: 204 }));
    await runBatch([{ id: "q1", attempts: 3, body: webhookMessage("msg_retry") }]);
    const headers = Object.fromEntries(requests[0]!.headers);
    expect(headers["webhook-id"]).toBe("msg_retry");
    expect(() => new Webhook(SECRET).verify(body, headers)).not.toThrow();
  });

  it("delivers every message of a batch, each to its own receiver, and acks or retries each alone", async () => {
    const { requests } = interceptFetch((request) => new Response(null, { status: new URL(request.url).host === "down.test" ? 503 : 200 }));
    const result = await runBatch([
      { id: "a", attempts: 1, body: webhookMessage("msg_same", "https://up.test/") },
      { id: "b", attempts: 1, body: webhookMessage("msg_same", "https://down.test/") },
    ]);
    expect(requests.map((r) => new URL(r.url).host).sort()).toEqual(["down.test", "up.test"]);
    expect(result.explicitAcks).toEqual(["a"]);
    expect(result.retryMessages).toEqual([{ msgId: "b", delaySeconds: 5 }]);
  });
});

describe("retries", () => {
  it("retries a 503 with growing delays", async () => {
    interceptFetch(() => new Response("unavailable", { status: 503 }));
    const delays: (number | undefined)[] = [];
    for (let attempts = 1; attempts <= 8; attempts += 1) {
      const result = await runBatch([{ id: `q${attempts}`, attempts, body: webhookMessage("msg_503") }]);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      delays.push(result.retryMessages[0]!.delaySeconds);
    }
    expect(delays).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000, 36000]);
    expect(logged("webhook.retry")[0]).toMatchObject({ webhookId: "msg_503", status: 503, delaySeconds: 5, attempts: 1 });
  });

  it.each([408, 429, 500, 502])("retries a %i", async (status) => {
    interceptFetch(() => new Response(null, { status }));
    const result = await runBatch([{ id: "q", attempts: 2, body: webhookMessage("msg_x") }]);
    expect(result.retryMessages).toEqual([{ msgId: "q", delaySeconds: 300 }]);
  });

  it("honours a longer Retry-After from the receiver (capped at Cloudflare's 12 hours)", async () => {
    interceptFetch(() => new Response(null, { status: 429, headers: { "Retry-After": "900" } }));
    expect((await runBatch([{ id: "q", attempts: 1, body: webhookMessage("msg_x") }])).retryMessages).toEqual([{ msgId: "q", delaySeconds: 900 }]);
    interceptFetch(() => new Response(null, { status: 503, headers: { "Retry-After": "999999" } }));
    expect((await runBatch([{ id: "q", attempts: 1, body: webhookMessage("msg_x") }])).retryMessages).toEqual([{ msgId: "q", delaySeconds: 43200 }]);
  });

  it("retries a network error", async () => {
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Network connection lost."));
    const result = await runBatch([{ id: "q", attempts: 1, body: webhookMessage("msg_x") }]);
    expect(result.retryMessages).toEqual([{ msgId: "q", delaySeconds: 5 }]);
    expect(logged("webhook.retry")).toEqual([expect.objectContaining({ error: "network_error" })]);
  });

  it("gives up on a receiver that does not answer within WEBHOOK_TIMEOUT_MS, and retries", async () => {
    interceptHangingFetch();
    const started = performance.now();
    const result = await runBatch([{ id: "q", attempts: 1, body: webhookMessage("msg_x") }], QUEUE, { ...env, WEBHOOK_TIMEOUT_MS: "500" } as Env);
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.retryMessages).toEqual([{ msgId: "q", delaySeconds: 5 }]);
    expect(logged("webhook.retry")).toEqual([expect.objectContaining({ error: "timeout" })]);
  });
});

describe("answers that are not retried", () => {
  it.each([400, 401, 404, 410, 302])("a %i is acked and logged, not retried", async (status) => {
    interceptFetch(() => new Response(null, { status, headers: status === 302 ? { location: "https://elsewhere.test/" } : {} }));
    const result = await runBatch([{ id: "q", attempts: 1, body: webhookMessage("msg_refused") }]);
    expect(result.explicitAcks).toEqual(["q"]);
    expect(result.retryMessages).toEqual([]);
    expect(logged("webhook.refused")).toEqual([expect.objectContaining({ webhookId: "msg_refused", status })]);
  });

  it("a malformed message is acked and logged without a request", async () => {
    const { requests } = interceptFetch(() => new Response(null, { status: 200 }));
    const result = await runBatch([{ id: "q", attempts: 1, body: { nonsense: true } }]);
    expect(result.explicitAcks).toEqual(["q"]);
    expect(requests).toHaveLength(0);
  });
});

describe("dead letters", () => {
  it("a message on the dead-letter queue is logged (id, type, host) and acked, never POSTed", async () => {
    const { requests } = interceptFetch(() => new Response(null, { status: 200 }));
    const result = await runBatch([{ id: "dead1", attempts: 1, body: webhookMessage("msg_dead") }], "edge-phone-auth-events-dlq");
    expect(result.explicitAcks).toEqual(["dead1"]);
    expect(requests).toHaveLength(0);
    expect(logged("webhook.dead_letter")).toEqual([
      expect.objectContaining({ queue: "edge-phone-auth-events-dlq", webhookId: "msg_dead", type: "user.created", host: "receiver.test" }),
    ]);
  });
});
