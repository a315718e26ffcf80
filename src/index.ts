import { app } from "./app";
import type { Bindings } from "./http/app-env";

export { PhoneGuard } from "./limits/phone-guard";
export { ClientGuard } from "./limits/client-guard";
export { SmsBudget } from "./limits/sms-budget";
export type { AppType } from "./app";
export type { ErrorBody } from "./http/openapi/client-types";

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>;
