import { and, eq } from "drizzle-orm";
import { clientGuard, clientLimited, phoneGuard, verifyCode, type RequestScope } from "../codes/issue";
import { readTokenFor, restoreToken, spendToken } from "../codes/tokens";
import type { Db } from "../db/client";
import { identities, users } from "../db/schema";
import { ApiError } from "../http/errors/api-error";
import { maskPhone, parsePhone, type Phone } from "../phone/phone";
import { assertStrongPassword, dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from "./passwords";
import { createSession, deleteUserSessions, newSession, type NewSession, type SessionUser } from "./sessions";
import { createUserStatements, findUserById, findUserByPhone, isPhoneRegistered, isUniqueViolation, toPublicUser, type PublicUser } from "./users";

export interface SignedIn {
  session: NewSession;
  user: PublicUser;
}

/**
 * Log in or register with a login code: the code is spent first (exactly one of any number of
 * parallel submissions gets past this), then the phone's user is found or created together with
 * the session in one D1 batch.
 */
export async function signInWithCode(scope: RequestScope, db: Db, phone: Phone, code: string): Promise<SignedIn & { isNewUser: boolean }> {
  const spent = await verifyCode(scope, phone, "login", code);
  try {
    return await findOrCreateUserSession(db, phone, scope.config.SESSION_TTL_SECONDS);
  } catch (error) {
    // D1 failed after the code was spent: not the user's fault, so the code is usable again.
    await spent.giveBack();
    throw error;
  }
}

async function findOrCreateUserSession(db: Db, phone: Phone, ttl: number): Promise<SignedIn & { isNewUser: boolean }> {
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

/**
 * Password login. An unknown phone, a user without a password and a wrong password all answer
 * the same 401 after the same PBKDF2 work. The outcome is then recorded in the phone's Durable
 * Object, which refuses (429) while the phone has too many recent failures — checked after the
 * hash so a locked phone's answer says nothing about whether the password was right.
 */
export async function signInWithPassword(scope: RequestScope, db: Db, phone: Phone, password: string): Promise<SignedIn> {
  // Password tries count against the client address like code checks do, so one address cannot
  // spray passwords over many numbers (each try also costs a PBKDF2 run). Asked in parallel with
  // the user lookup, and before the hash, so a limited address costs no hashing.
  const [user, client] = await Promise.all([findUserByPhone(db, phone.e164), clientGuard(scope).hit("verify", scope.config.IP_VERIFICATIONS_PER_HOUR)]);
  if (!client.ok) throw await clientLimited(scope, "password", phone, client.retryAfterMs);
  const stored = user?.passwordHash ?? (await dummyPasswordHash());
  const matches = (await verifyPassword(password, stored)) && user?.passwordHash != null;

  const recorded = await phoneGuard(scope.env, phone).passwordLogin(phone.e164, matches);
  if (!recorded.ok) throw new ApiError("too_many_attempts", { retryAfter: recorded.retryAfterMs / 1000 });
  if (recorded.lockedNow) scope.log.event("password.locked", { phone: maskPhone(phone) });
  if (!matches || !user) throw new ApiError("invalid_credentials");

  if (needsRehash(stored)) {
    // The cost setting changed since this hash was made: store it again at today's cost.
    await db.update(users).set({ passwordHash: await hashPassword(password), updatedAt: Date.now() }).where(eq(users.id, user.id));
  }
  const session = await createSession(db, user.id, scope.config.SESSION_TTL_SECONDS);
  return { session, user: toPublicUser(user, phone.e164) };
}

export type PhoneProof = { phone: string; code: string } | { verificationToken: string };

/**
 * Turns a code or a verificationToken for `purpose` into the verified phone. `check` runs first,
 * before anything is spent, so a request refused for another reason (weak password, number in
 * use) leaves the code or token usable. `giveBack` makes the code or token usable again if the
 * work it was spent on fails for a reason that is not the user's.
 */
async function provePhone(
  scope: RequestScope,
  proof: PhoneProof,
  purpose: "reset_password" | "change_phone",
  check: (phone: Phone) => Promise<void> | void,
): Promise<{ phone: Phone; giveBack: () => Promise<void> }> {
  if ("code" in proof) {
    const phone = parsePhone(proof.phone);
    await check(phone);
    const spent = await verifyCode(scope, phone, purpose, proof.code);
    return { phone, giveBack: spent.giveBack };
  }
  const token = await readTokenFor(scope, proof.verificationToken, purpose);
  await check(token.phone);
  await spendToken(scope, token);
  return { phone: token.phone, giveBack: () => restoreToken(scope, token) };
}

/** Sets a new password from a reset code or token and ends every session of the user. */
export async function resetPassword(scope: RequestScope, db: Db, proof: PhoneProof, newPassword: string): Promise<void> {
  const { phone, giveBack } = await provePhone(scope, proof, "reset_password", (p) => assertStrongPassword(newPassword, p, "newPassword"));
  const user = await findUserByPhone(db, phone.e164);
  // A reset code is never sent to an unknown number, so this is a token whose phone was freed since.
  if (!user) throw new ApiError("invalid_verification_token");
  const passwordHash = await hashPassword(newPassword);
  try {
    await db.batch([db.update(users).set({ passwordHash, updatedAt: Date.now() }).where(eq(users.id, user.id)), deleteUserSessions(db, user.id)]);
  } catch (error) {
    await giveBack();
    throw error;
  }
  scope.log.event("password.reset", { phone: maskPhone(phone) });
}

/**
 * Moves the signed-in user to a new phone proven by a code sent to it. The old number is freed in
 * the same batch (a later SMS login with it creates a new user).
 */
export async function changePhone(scope: RequestScope, db: Db, session: SessionUser, proof: PhoneProof): Promise<PublicUser> {
  const inUse = async (phone: Phone) => {
    if (await isPhoneRegistered(db, phone.e164)) throw new ApiError("phone_registered");
  };
  const { phone, giveBack } = await provePhone(scope, proof, "change_phone", inUse);
  const userId = session.user.id;
  const now = Date.now();
  try {
    await db.batch([
      db.delete(identities).where(and(eq(identities.userId, userId), eq(identities.provider, "phone"))),
      db.insert(identities).values({ provider: "phone", identifier: phone.e164, userId, createdAt: now }),
      db.update(users).set({ updatedAt: now }).where(eq(users.id, userId)),
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiError("phone_registered");
    await giveBack();
    throw error;
  }
  scope.log.event("phone.changed", { from: session.phone ? maskPhone(session.phone) : null, to: maskPhone(phone) });
  const updated = await findUserById(db, userId);
  if (!updated) throw new ApiError("unauthorized");
  return toPublicUser(updated.user, updated.phone);
}

export async function updateProfile(db: Db, session: SessionUser, changes: { nickname?: string; avatarUrl?: string | null }): Promise<PublicUser> {
  const [row] = await db
    .update(users)
    .set({ ...changes, updatedAt: Date.now() })
    .where(eq(users.id, session.user.id))
    .returning();
  if (!row) throw new ApiError("unauthorized");
  return toPublicUser(row, session.phone);
}
