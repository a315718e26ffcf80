import type { PhoneGuard } from "../limits/phone-guard";
import type { ClientGuard } from "../limits/client-guard";
import type { SmsBudget } from "../limits/sms-budget";
import type { Config } from "../platform/config";
import type { SessionUser } from "../auth/sessions";

/** Bindings from wrangler.toml plus the plain-string settings (`[vars]`, secrets). */
export interface Bindings {
  CODES: KVNamespace;
  DB: D1Database;
  PHONE_GUARD: DurableObjectNamespace<PhoneGuard>;
  CLIENT_GUARD: DurableObjectNamespace<ClientGuard>;
  SMS_BUDGET: DurableObjectNamespace<SmsBudget>;
  [setting: string]: unknown;
}

export interface Variables {
  config: Config;
  requestId: string;
  /** Set by requireSession; read it with sessionOf(c). */
  session?: SessionUser;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
