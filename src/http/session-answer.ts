import { signAccessToken } from "../auth/access-token";
import type { NewSession } from "../auth/sessions";
import type { PublicUser } from "../auth/users";
import type { Config } from "../platform/config";

/**
 * The body of every answer that signs a user in (SMS login, password login, registration, and any
 * sign-in added later) and of a refresh: a signed access token for every request, the refresh
 * token that is the session, both expiries as ISO 8601, and the user. docs/tokens.md.
 */
export async function sessionAnswer(config: Config, session: NewSession, user: PublicUser) {
  const access = await signAccessToken(config, { userId: user.id, sessionId: session.id, phone: user.phone });
  return {
    accessToken: access.token,
    accessTokenExpiresAt: new Date(access.expiresAt).toISOString(),
    refreshToken: session.refreshToken,
    refreshTokenExpiresAt: new Date(session.expiresAt).toISOString(),
    user,
  };
}
