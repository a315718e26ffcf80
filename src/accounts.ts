import { verifyCode, type RequestScope } from "./codes/codes";
import type { Db } from "./db/client";
import type { Phone } from "./phone";
import { createSession, newSession, type NewSession } from "./sessions";
import { createUserStatements, findUserByPhone, isUniqueViolation, toPublicUser, type PublicUser } from "./users";

export interface SignedIn {
  session: NewSession;
  user: PublicUser;
  isNewUser: boolean;
}

/**
 * Log in or register with a login code: the code is spent first (exactly one of any number of
 * parallel submissions gets past this), then the phone's user is found or created together with
 * the session in one D1 batch.
 */
export async function signInWithCode(scope: RequestScope, db: Db, phone: Phone, code: string): Promise<SignedIn> {
  await verifyCode(scope, phone, "login", code, { issueToken: false });
  const ttl = scope.config.SESSION_TTL_SECONDS;

  const existing = await findUserByPhone(db, phone.e164);
  if (existing) {
    return { session: await createSession(db, existing.id, ttl), user: toPublicUser(existing, phone.e164), isNewUser: false };
  }

  const created = createUserStatements(db, { phone: phone.e164 });
  const { session, insert } = await newSession(db, created.row.id, ttl);
  try {
    await db.batch([...created.statements, insert]);
    return { session, user: toPublicUser(created.row, phone.e164), isNewUser: true };
  } catch (error) {
    // Registered in the meantime by another flow (password registration): sign in to that user.
    if (!isUniqueViolation(error)) throw error;
    const winner = await findUserByPhone(db, phone.e164);
    if (!winner) throw error;
    return { session: await createSession(db, winner.id, ttl), user: toPublicUser(winner, phone.e164), isNewUser: false };
  }
}
