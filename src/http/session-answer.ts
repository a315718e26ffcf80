import type { NewSession } from "../auth/sessions";
import type { PublicUser } from "../auth/users";

/** The body of every answer that signs a user in: the bearer token, its expiry as ISO 8601, the user. */
export function sessionAnswer(session: NewSession, user: PublicUser) {
  return { token: session.token, expiresAt: new Date(session.expiresAt).toISOString(), user };
}
