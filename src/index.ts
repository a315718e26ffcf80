import { app } from "./app";
import { handleQueue } from "./events/webhooks/consumer";

export type { AppType } from "./app";
export type { ErrorBody } from "./http/contract";
export { ClientGuard } from "./limits/client-guard";
export { PhoneGuard } from "./limits/phone-guard";
export { SmsBudget } from "./limits/sms-budget";

export default { fetch: app.fetch, queue: handleQueue } satisfies ExportedHandler<Env>;
