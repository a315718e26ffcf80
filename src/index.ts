import { app } from "./app";

export type { AppType } from "./app";
export type { ErrorBody } from "./http/contract";
export { ClientGuard } from "./limits/client-guard";
export { PhoneGuard } from "./limits/phone-guard";
export { SmsBudget } from "./limits/sms-budget";
export { WechatTicketGuard } from "./limits/wechat-ticket-guard";
export { WechatAccessToken } from "./wechat/access-token";

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
