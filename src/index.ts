import { app } from "./app";

export { PhoneGuard } from "./limits/phone-guard";
export { ClientGuard } from "./limits/client-guard";
export { SmsBudget } from "./limits/sms-budget";
export type { AppType } from "./app";
export type { ErrorBody } from "./http/contract";

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
