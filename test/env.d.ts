import type { D1Migration } from "cloudflare:test";
import type { Bindings } from "../src/http/app-env";

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {
      TEST_MIGRATIONS: D1Migration[];
      /** The downstream test Worker that calls AuthService over a service binding (vitest.config.ts). */
      DOWNSTREAM: Fetcher;
    }
    // Types `exports.default` from "cloudflare:workers" as the Worker's own entry point.
    interface GlobalProps {
      mainModule: typeof import("../src/index");
    }
  }
}
