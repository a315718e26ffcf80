import { app } from "./app";
import { handleQueue } from "./events/webhooks/consumer";
import { runDailySweeps } from "./scheduled";

export type { AppType } from "./app";
export type { ErrorBody } from "./http/contract";
export { ClientGuard } from "./limits/client-guard";
export { PhoneGuard } from "./limits/phone-guard";
export { SmsBudget } from "./limits/sms-budget";
export { WechatTicketGuard } from "./limits/wechat-ticket-guard";
export { WechatAccessToken } from "./wechat/access-token";

export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: (_controller, env, ctx) => ctx.waitUntil(runDailySweeps(env)),
} satisfies ExportedHandler<Env>;
