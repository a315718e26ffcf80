import { createHash } from "node:crypto";
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
    },
  };
});
