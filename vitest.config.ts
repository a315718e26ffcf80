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
  // Read on the Node side, applied inside workerd by test/setup.ts: the same SQL wrangler applies.
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            ENVIRONMENT: "test",
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
    },
  };
});
