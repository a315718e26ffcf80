import { app } from "./app";
import { runDailySweeps } from "./entrypoints/scheduled";
import { handleQueue } from "./events/webhooks/consumer";

export type { AppType } from "./app";
export { AuthService, type VerifyResult } from "./entrypoints/auth-service";
export type { ErrorBody } from "./http/contract";
export { ClientGuard } from "./limits/client-guard";
export { PhoneGuard } from "./limits/phone-guard";
export { SmsBudget } from "./limits/sms-budget";
export { WechatTicketGuard } from "./limits/wechat-ticket-guard";
export { WechatAccessToken } from "./wechat/access-token";

export default {
  fetch: app.fetch,
  queue: handleQueue,
  // The daily Cron Trigger (wrangler.toml [triggers]): the sweeps of src/entrypoints/scheduled.ts. Awaited, so
  // a run's end is the sweeps' end. Number(): a Date from some local harnesses, Unix ms on Cloudflare.
  scheduled: async (controller, env, _ctx) => {
    await runDailySweeps(env, Number(controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
