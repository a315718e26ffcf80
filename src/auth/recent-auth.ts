import { ApiError } from "../http/errors/api-error";
import type { Config } from "../platform/config";
import type { SessionUser } from "./sessions";

/**
 * "Sudo mode" (docs/security.md): a sensitive change (the phone number, the password, linking or
 * unlinking a sign-in method) needs a session that signed in or re-authenticated (POST
 * /v1/auth/reauthenticate) within REAUTH_WINDOW_SECONDS; otherwise 403 reauthentication_required.
 * Routes ask for it with `recentAuth: true` in their contract (src/http/recent-auth.ts runs this
 * after the session check); domain code that must check it at a later point calls it directly.
 */
export function isRecentlyAuthenticated(config: Config, session: SessionUser, now = Date.now()): boolean {
  return now - session.authenticatedAt <= config.REAUTH_WINDOW_SECONDS * 1000;
}

export function requireRecentAuthentication(config: Config, session: SessionUser, now = Date.now()): void {
  if (!isRecentlyAuthenticated(config, session, now)) throw new ApiError("reauthentication_required");
}
