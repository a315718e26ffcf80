import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  // Read on the Node side, applied inside workerd by test/setup.ts: the same SQL wrangler applies.
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
    },
  };
});
