import type { AdminActor } from "../admin/actor";
import type { SessionUser } from "../auth/sessions";
import type { Config } from "../platform/config";
import type { Logger } from "../platform/log";

/**
 * Hono's environment for this app. The bindings' type, `Env`, is generated from wrangler.toml by
 * `npm run types` (src/platform/worker-configuration.d.ts), so a binding named wrongly here or in
 * wrangler.toml is a type error, not an undefined at run time. Settings are not read from `Env`
 * directly: src/platform/config.ts parses them once into `Config`.
 */
export interface Variables {
  config: Config;
  requestId: string;
  /** This request's logger, carrying its id. */
  log: Logger;
  /** Set by requireSession; read it with sessionOf(c). */
  session?: SessionUser;
  /** Set by requireAdmin (admin routes); read it with adminOf(c). */
  admin?: AdminActor;
}

export interface AppEnv {
  Bindings: Env;
  Variables: Variables;
}
