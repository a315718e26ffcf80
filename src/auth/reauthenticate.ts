import { eq } from "drizzle-orm";
import { verifyCode } from "../codes/verify";
import type { Db } from "../db/client";
import { sessions, users } from "../db/schema";
import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import { hitClient } from "../limits/client-limits";
import { phoneGuard } from "../limits/stubs";
import { maskPhone, type Phone, parsePhone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { assertStrongPassword, dummyPasswordHash, hashPassword, verifyPassword } from "./passwords";
import { endUserSessions, markAuthenticated, type SessionUser } from "./sessions";

/**
 * Re-authentication ("sudo mode", docs/security.md) and the password changes that need it.
 *
 * A password is checked exactly like a password login: it counts against the client address's
 * verification limit (asked before the hash, so a limited address costs no PBKDF2) and against the
 * phone's password lockout (a locked phone answers 429 whether or not the password was right). A
 * code is a `reauthenticate` code sent to the account's own number and counts like any code
 * guess (address limit, the phone's guess limit and lock).
 */
export async function checkPassword(scope: RequestScope, session: SessionUser, password: string): Promise<void> {
  const phone = session.phone ? parsePhone(session.phone) : undefined;
  // Every layer of the caller's address (429 when one is over), before the hash.
  await hitClient(scope, "verify", phone, "password");
  const stored = session.user.passwordHash ?? (await dummyPasswordHash());
  const matches = (await verifyPassword(password, stored)) && session.user.passwordHash !== null;
  if (phone) {
    const recorded = await phoneGuard(scope.env, phone).passwordLogin(phone.e164, matches);
    if (!recorded.ok) throw new ApiError("too_many_attempts", { retryAfter: recorded.retryAfterMs / 1000 });
    if (recorded.lockedNow) {
      scope.log.event("password.locked", { phone: maskPhone(phone) });
      publish(scope, { type: "phone.locked", phone, reason: "password" });
    }
  }
  if (!matches) throw new ApiError("invalid_credentials");
}

export async function reauthenticate(scope: RequestScope, db: Db, session: SessionUser, proof: { password: string } | { code: string }): Promise<number> {
  if ("password" in proof) {
    await checkPassword(scope, session, proof.password);
  } else {
    // The code went to the account's current number (POST /v1/codes purpose reauthenticate).
    if (!session.phone) throw new ApiError("code_expired");
    await verifyCode(scope, parsePhone(session.phone), "reauthenticate", proof.code, session.user.id);
  }
  const now = Date.now();
  await markAuthenticated(db, session.sessionId, now);
  return now + scope.config.REAUTH_WINDOW_SECONDS * 1000;
}

/**
 * Sets a password on an account that has none, or changes it (the current one required then).
 * The route demands a recent authentication; every other session of the user ends.
 */
export async function setPassword(scope: RequestScope, db: Db, session: SessionUser, newPassword: string, currentPassword?: string): Promise<void> {
  const phone: Phone | null = session.phone ? parsePhone(session.phone) : null;
  if (phone) assertStrongPassword(newPassword, phone, "newPassword");
  const changing = session.user.passwordHash !== null;
  if (changing) {
    if (currentPassword === undefined) {
      throw new ApiError("invalid_request", { details: [{ field: "currentPassword", message: "required: the account has a password" }] });
    }
    await checkPassword(scope, session, currentPassword);
  }
  const passwordHash = await hashPassword(newPassword);
  const userId = session.user.id;
  await db.batch([
    db.update(users).set({ passwordHash, updatedAt: Date.now() }).where(eq(users.id, userId)),
    endUserSessions(db, userId, session.sessionId),
    // Proving the current password is a fresh authentication of this session.
    db.update(sessions).set({ authenticatedAt: Date.now() }).where(eq(sessions.id, session.sessionId)),
  ]);
  scope.log.event("password.changed", { phone: phone ? maskPhone(phone) : null, set: !changing });
  publish(scope, { type: "user.password_changed", userId, phone, reason: changing ? "changed" : "set" });
  publish(scope, { type: "session.ended", userId, reason: "password_changed" });
}
