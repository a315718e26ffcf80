import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { identities, users } from "../db/schema";
import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import { maskPhone, parsePhone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { sendNotice } from "../sms/notices";
import { type PhoneProof, provePhone } from "./phone-proof";
import { endUserSessions, type SessionUser } from "./sessions";
import { findUserById, isPhoneRegistered, isUniqueViolation, type PublicUser, toPublicUser } from "./users";

/**
 * Moves the signed-in user to a new phone proven by a code sent to it. The old number is freed in
 * the same batch (a later SMS login with it creates a new user).
 *
 * No registration oracle (issue 10): the code or token is proven, spent and counted against the
 * address first; only a proven number learns whether it is taken (409, the proof stays spent).
 */
export async function changePhone(scope: RequestScope, db: Db, session: SessionUser, proof: PhoneProof): Promise<PublicUser> {
  // Bound to this user: a code or token another account asked for does not move this one.
  const { phone, giveBack } = await provePhone(scope, proof, "change_phone", () => {}, session.user.id);
  if (await isPhoneRegistered(db, phone.e164)) throw new ApiError("phone_registered");
  const userId = session.user.id;
  const now = Date.now();
  try {
    await db.batch([
      db.delete(identities).where(and(eq(identities.userId, userId), eq(identities.provider, "phone"))),
      db.insert(identities).values({ provider: "phone", identifier: phone.e164, userId, createdAt: now }),
      db.update(users).set({ updatedAt: now }).where(eq(users.id, userId)),
      // Whoever else was signed in to the account is out: only the session that proved it stays.
      endUserSessions(db, userId, session.sessionId),
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiError("phone_registered");
    await giveBack();
    throw error;
  }
  scope.log.event("phone.changed", { from: session.phone ? maskPhone(session.phone) : null, to: maskPhone(phone) });
  publish(scope, { type: "user.phone_changed", userId, from: session.phone, to: phone });
  publish(scope, { type: "session.ended", userId, reason: "phone_changed" });
  // The old number hears of it, where the provider has a `phone_changed` template (no code in it).
  if (session.phone) scope.defer(sendNotice(scope, parsePhone(session.phone), "phone_changed"));
  const updated = await findUserById(db, userId);
  if (!updated) throw new ApiError("unauthorized");
  return toPublicUser(updated.user, updated.phone);
}
