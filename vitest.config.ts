import { createHash } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** What a downstream Worker does with the binding: verify the bearer token, answer who it is. */
const DOWNSTREAM_WORKER = `
export default {
  async fetch(request, env) {
    const token = (request.headers.get("Authorization") || "").replace(/^Bearer /, "");
    const checkRevoked = new URL(request.url).searchParams.get("checkRevoked") === "1";
    const result = await env.AUTH.verifyAccessToken(token, { checkRevoked });
    return Response.json(result, { status: result.ok ? 200 : 401 });
  },
};`;

export default defineConfig(async () => {
  // Read on the Node side, applied inside workerd by test/support/setup.ts: the same SQL wrangler applies.
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // wrangler.toml's consumers, with one retry instead of seven so that a test can follow a
          // message to the dead-letter queue in seconds (test/http/webhooks.test.ts).
          queueConsumers: {
            "edge-phone-auth-events": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 1, deadLetterQueue: "edge-phone-auth-events-dlq" },
            "edge-phone-auth-events-dlq": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 0 },
          },
          bindings: {
            ENVIRONMENT: "test",
            // The admin API is on in tests, with the key test/support/admin.ts sends (only its hash is configured).
            ADMIN_API_KEYS: createHash("sha256").update("test-admin-key-0123456789abcdef").digest("hex"),
            // The queue consumer signs with it (test/http/webhooks-*.test.ts). No WEBHOOK_URL here:
            // only tests that set one queue anything.
            WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            TEST_MIGRATIONS: migrations,
          },
          // A downstream Worker of the kind docs/tokens.md describes: it binds this Worker's
          // AuthService entrypoint and verifies tokens over RPC (test/http/auth-service.test.ts).
          serviceBindings: { DOWNSTREAM: "downstream" },
          workers: [
            {
              name: "downstream",
              modules: true,
              compatibilityDate: "2026-10-23",
              // The main Worker runs as the vitest runner, named after the project (test.name).
              serviceBindings: { AUTH: { name: "vitest-plugin-runner-edge-phone-auth", entrypoint: "AuthService" } },
              script: DOWNSTREAM_WORKER,
            },
          ],
        },
      }),
    ],
    test: {
      name: "edge-phone-auth",
      setupFiles: ["./test/support/setup.ts"],
      include: ["test/**/*.test.ts"],
      // Attack tests fire hundreds of requests through one local workerd; on a busy 2-core machine
      // vitest's 5 s default fails them for the machine's load, not for what they check. No test
      // asserts a duration, so a generous ceiling only stops a real hang.
      testTimeout: 30_000,
    },
  };
});
