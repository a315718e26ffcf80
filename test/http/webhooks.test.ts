/**
 * Webhooks from real requests (issue 15): what a sign-in, a logout or a lock puts on the EVENTS
 * queue; one message per WEBHOOK_URL; nothing without a URL; and a sign-in that still answers 200,
 * promptly, when the queue refuses or hangs. The last test goes through the real local queue
 * (Miniflare): the Worker's own consumer POSTs to the receiver, verified with `standardwebhooks`.
 */
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type WebhookType, webhookBodySchema } from "../../src/events/webhooks/contracts";
import type { WebhookMessage } from "../../src/events/webhooks/sink";
import { captureSms, json, post, requestCode, uniquePhone } from "../support/helpers";
import { interceptFetch } from "../support/intercept";
import { waitForBackground } from "../support/time";

const sms = captureSms();
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const URLS = "https://one.example/hooks, https://two.example/in?token=t0k3n";

// captureSms() spies on console.log for the whole file; only this file's other spies are undone.
const spies: { mockRestore(): void }[] = [];
afterEach(() => {
  for (const spy of spies.splice(0)) spy.mockRestore();
});
const muteErrors = (into: string[] = []) => {
  spies.push(vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void into.push(args.map(String).join(" "))));
  return into;
};

/** A stand-in for the EVENTS producer binding that records what is sent. */
function fakeQueue(sendBatch: (messages: MessageSendRequest[]) => Promise<void> = async () => {}) {
  const batches: MessageSendRequest<WebhookMessage>[][] = [];
  const queue = {
    send: vi.fn(async () => {}),
    sendBatch: vi.fn(async (messages: MessageSendRequest[]) => {
      batches.push(messages as MessageSendRequest<WebhookMessage>[]);
      return sendBatch(messages);
    }),
  };
  return { queue, batches, messages: () => batches.flat().map((m) => m.body) };
}

async function smsSignIn(env: Record<string, unknown>, phone = uniquePhone()) {
  const code = await requestCode(sms, phone, "login", { env });
  const response = await post("/v1/auth/sms-login", { phone, code }, { env });
  return { phone, code, response };
}

describe("events produced by real requests reach the queue", () => {
  it("a first SMS sign-in queues user.created and user.signed_in, one message per URL, matching their schemas", async () => {
    const fake = fakeQueue();
    const env = { WEBHOOK_URL: URLS, EVENTS: fake.queue };
    const { phone, code, response } = await smsSignIn(env);
    expect(response.status).toBe(200);
    const { accessToken: token, user } = await json<{ accessToken: string; user: { id: string } }>(response);

    const types = fake.batches.map((batch) => batch[0]!.body.type);
    expect(types).toEqual(["user.created", "user.signed_in"]);
    for (const batch of fake.batches) {
      // One message per receiver, the same webhook-id and body for both.
      expect(batch.map((m) => m.body.url)).toEqual(["https://one.example/hooks", "https://two.example/in?token=t0k3n"]);
      expect(batch[0]!.body.id).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
      expect(batch[1]!.body.id).toBe(batch[0]!.body.id);
      expect(batch[1]!.body.body).toBe(batch[0]!.body.body);
      const body = JSON.parse(batch[0]!.body.body) as { type: WebhookType; timestamp: string };
      // The documented schema (the one the OpenAPI document publishes) accepts it.
      expect(() => webhookBodySchema(body.type).parse(body)).not.toThrow();
      expect(Math.abs(Date.parse(body.timestamp) - Date.now())).toBeLessThan(10_000);
      // No code, no session token.
      expect(batch[0]!.body.body).not.toContain(code);
      expect(batch[0]!.body.body).not.toContain(token);
    }
    const ids = new Set(fake.batches.map((batch) => batch[0]!.body.id));
    expect(ids.size).toBe(2);

    const [created, signedIn] = fake.batches.map((batch) => JSON.parse(batch[0]!.body.body) as Record<string, unknown>);
    expect(created).toMatchObject({ type: "user.created", data: { userId: user.id, phone, method: "sms" } });
    expect(signedIn).toMatchObject({ type: "user.signed_in", data: { userId: user.id, phone, method: "sms", isNewUser: true } });
  });

  it("a logout queues session.ended", async () => {
    const fake = fakeQueue();
    const env = { WEBHOOK_URL: "https://one.example/hooks", EVENTS: fake.queue };
    const { response } = await smsSignIn(env);
    const { accessToken: token, user } = await json<{ accessToken: string; user: { id: string } }>(response);
    expect((await post("/v1/auth/logout", undefined, { env, token })).status).toBe(204);
    const ended = fake.messages().find((m) => m.type === "session.ended");
    expect(JSON.parse(ended!.body)).toMatchObject({ type: "session.ended", data: { userId: user.id, reason: "logout" } });
  });

  it("no WEBHOOK_URL: nothing is queued", async () => {
    const fake = fakeQueue();
    const { response } = await smsSignIn({ EVENTS: fake.queue });
    expect(response.status).toBe(200);
    expect(fake.queue.sendBatch).not.toHaveBeenCalled();
    expect(fake.queue.send).not.toHaveBeenCalled();
  });
});

describe("a sign-in never fails or waits because of the queue", () => {
  it("answers 200 when the queue's send fails, and logs the failed enqueue", async () => {
    const errors = muteErrors();
    const fake = fakeQueue(async () => {
      throw new Error("Queue send failed: queue is overloaded");
    });
    const { response } = await smsSignIn({ WEBHOOK_URL: URLS, EVENTS: fake.queue });
    expect(response.status).toBe(200);
    expect(fake.queue.sendBatch).toHaveBeenCalled();
    await waitForBackground(async () => errors.some((line) => line.includes("webhook.enqueue_failed")));
    const line = JSON.parse(errors.find((l) => l.includes("webhook.enqueue_failed"))!) as Record<string, unknown>;
    expect(line).toMatchObject({ event: "webhook.enqueue_failed", type: expect.any(String), webhookId: expect.stringMatching(/^msg_/) });
  });

  it("answers 200 when the producer binding is missing altogether", async () => {
    muteErrors();
    const { response } = await smsSignIn({ WEBHOOK_URL: URLS, EVENTS: undefined });
    expect(response.status).toBe(200);
  });

  it("answers promptly when the queue's send never settles", async () => {
    const fake = fakeQueue(() => new Promise<void>(() => {}));
    const env = { WEBHOOK_URL: URLS, EVENTS: fake.queue };
    const phone = uniquePhone();
    const code = await requestCode(sms, phone, "login", { env });
    const started = performance.now();
    const response = await post("/v1/auth/sms-login", { phone, code }, { env });
    expect(response.status).toBe(200);
    // Bounded, for a slow CI machine: the point is that it answers at all while the queue hangs.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(fake.queue.sendBatch).toHaveBeenCalled();
  });
});

describe("through the real local queue", () => {
  it("a sign-in's webhooks reach the receiver, signed: verified with the standardwebhooks package", async () => {
    // Read inside the handler: the consumer's request belongs to its own invocation.
    const received: { url: string; headers: Record<string, string>; body: string }[] = [];
    interceptFetch(async (request) => {
      received.push({ url: request.url, headers: Object.fromEntries(request.headers), body: await request.text() });
      return new Response(null, { status: 204 });
    });
    spies.push(vi.mocked(globalThis.fetch));
    const phone = uniquePhone();
    const { response } = await smsSignIn({ WEBHOOK_URL: "https://receiver.example/hooks" }, phone);
    expect(response.status).toBe(200);

    // The queue's consumer (max_batch_timeout = 1 s in wrangler.toml) runs in this same Worker.
    for (let i = 0; i < 100 && received.length < 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.map((r) => r.url)).toEqual(["https://receiver.example/hooks", "https://receiver.example/hooks"]);
    const bodies = [];
    for (const request of received) {
      bodies.push(new Webhook(SECRET).verify(request.body, request.headers) as { type: string; data: { phone: string } });
    }
    expect(bodies.map((b) => b.type).sort()).toEqual(["user.created", "user.signed_in"]);
    for (const body of bodies) expect(body.data.phone).toBe(phone);
  });
});

describe("a receiver that keeps failing", () => {
  it("is retried, then the message goes to the dead-letter queue, whose consumer logs it", async () => {
    const attempts: { id: string; timestamp: number }[] = [];
    interceptFetch(async (request) => {
      attempts.push({ id: request.headers.get("webhook-id") ?? "", timestamp: Number(request.headers.get("webhook-timestamp")) });
      return new Response("unavailable", { status: 503 });
    });
    spies.push(vi.mocked(globalThis.fetch));
    // Log lines as captureSms() records every console.log of this file.
    const logged = (event: string) => sms.events().filter((e) => e.event === event && e.host === "failing.example");
    const { response } = await smsSignIn({ WEBHOOK_URL: "https://failing.example/hooks" });
    expect(response.status).toBe(200);
    for (let i = 0; i < 250 && logged("webhook.dead_letter").length < 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    const dead = logged("webhook.dead_letter");
    expect(dead.map((e) => e.type).sort()).toEqual(["user.created", "user.signed_in"]);
    // Each message was tried, retried once (max_retries = 1 in the test's consumer), then dead-lettered.
    for (const { webhookId } of dead) {
      const tries = attempts.filter((a) => a.id === webhookId);
      expect(tries).toHaveLength(2);
      expect(
        logged("webhook.retry")
          .filter((e) => e.webhookId === webhookId)
          .map((e) => e.attempts),
      ).toEqual([1, 2]);
    }
  }, 30_000);
});
