import { app } from "./app";
import { sweep } from "./scheduled";

export type { AppType } from "./app";
export { AuthService, type VerifyResult } from "./auth-service";
export type { ErrorBody } from "./http/contract";
export { ClientGuard } from "./limits/client-guard";
export { PhoneGuard } from "./limits/phone-guard";
export { SmsBudget } from "./limits/sms-budget";

export default {
  fetch: app.fetch,
  // The daily Cron Trigger (wrangler.toml [triggers]): delete what has expired (src/scheduled.ts).
  async scheduled(controller, env) {
    // Number(): a Date in some callers (local test harnesses), Unix ms on Cloudflare.
    await sweep(env, Number(controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
