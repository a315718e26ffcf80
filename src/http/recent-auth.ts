import type { Context } from "hono";
import type { SessionUser } from "../auth/sessions";
import type { Config } from "../platform/config";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors/api-error";

/**
 * "Sudo mode": a sensitive change (the phone number, the password, unlinking a sign-in method)
 * needs a session that signed in or re-authenticated (POST /v1/auth/reauthenticate) within
 * REAUTH_WINDOW_SECONDS. A route asks for it with `recentAuth: true` in its contract
 * (src/http/contract.ts), which runs this check after the session check: 403
 * reauthentication_required otherwise.
 */
export function isRecentlyAuthenticated(config: Config, session: SessionUser, now = Date.now()): boolean {
  return now - session.authenticatedAt <= config.REAUTH_WINDOW_SECONDS * 1000;
}

export function assertRecentAuth(c: Context<AppEnv>): void {
  const session = c.get("session");
  if (!session) throw new ApiError("unauthorized");
  if (!isRecentlyAuthenticated(c.get("config"), session)) throw new ApiError("reauthentication_required");
}
