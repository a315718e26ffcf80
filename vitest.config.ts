import { createHash } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

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
        },
      }),
    ],
    test: {
      setupFiles: ["./test/support/setup.ts"],
      include: ["test/**/*.test.ts"],
      // Attack tests fire hundreds of requests through one local workerd; on a busy 2-core machine
      // vitest's 5 s default fails them for the machine's load, not for what they check. No test
      // asserts a duration, so a generous ceiling only stops a real hang.
      testTimeout: 30_000,
    },
  };
});
