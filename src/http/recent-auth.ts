import { createMiddleware } from "hono/factory";
import { requireRecentAuthentication } from "../auth/recent-auth";
import type { AppEnv } from "./app-env";
import { sessionOf } from "./context";

/**
 * The contract step behind `recentAuth: true` (src/http/contract.ts): after the session check,
 * 403 reauthentication_required unless the session signed in or re-authenticated within
 * REAUTH_WINDOW_SECONDS (src/auth/recent-auth.ts).
 */
export const requireRecentAuth = createMiddleware<AppEnv>(async (c, next) => {
  requireRecentAuthentication(c.get("config"), sessionOf(c));
  await next();
});
