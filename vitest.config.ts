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
          bindings: {
            ENVIRONMENT: "test",
            // The admin API is on in tests, with the key test/support/admin.ts sends (only its hash is configured).
            ADMIN_API_KEYS: createHash("sha256").update("test-admin-key-0123456789abcdef").digest("hex"),
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
