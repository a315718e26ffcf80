import { eq } from "drizzle-orm";
import { type SpentCode, verifyCode } from "../codes/verify";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import { publish } from "../events/publish";
import type { SignInMethod } from "../events/types";
import { ApiError } from "../http/errors/api-error";
import { hitClient } from "../limits/client-limits";
import { phoneGuard } from "../limits/stubs";
import { maskPhone, type Phone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { refuseBanned, refuseDisabled } from "./bans";
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from "./passwords";
import { startPhoneSession, type WithUser } from "./phone-session";
import { type NewSession, startSession } from "./sessions";
import { findUserByPhone, type PublicUser, toPublicUser } from "./users";

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
  let spent: SpentCode;
  try {
    spent = await verifyCode(scope, phone, "login", code);
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) publish(scope, { type: "sign_in.failed", phone, method: "sms", reason: error.code });
    throw error;
  }
  try {
    return await signInWithVerifiedPhone(scope, db, phone, "sms");
  } catch (error) {
    // D1 failed after the code was spent: not the user's fault, so the code is usable again.
    // A banned account's refusal is not a failure to undo: the code stays spent.
    if (!(error instanceof ApiError)) await spent.giveBack();
    throw error;
  }
}

/**
 * Log in or register with a phone that has just been proven, whatever proved it: a spent SMS code,
 * WeChat's phone quick-verification, a carrier one-tap token. The one place a proven phone becomes
 * a user and a session: the phone's user is found or created together with the session (and
 * `withUser`'s statements) in one D1 batch (src/auth/phone-session.ts), and user.created /
 * user.signed_in are published with the method that proved it. Every sign-in by phone goes
 * through here, so a change to sessions or to the sign-in answer reaches all of them at once.
 */
export async function signInWithVerifiedPhone(
  scope: RequestScope,
  db: Db,
  phone: Phone,
  method: SignInMethod,
  withUser?: WithUser,
): Promise<SignedIn & { isNewUser: boolean }> {
  const started = await startPhoneSession(scope, db, phone.e164, withUser);
  // A banned account is refused only here, after the phone was proven, so the ban is not revealed
  // to anyone else; the batch started no session for it (and a user it just made is never banned).
  if (!started.started) refuseDisabled(scope, phone, method);
  const { user, isNewUser, session } = started;
  if (isNewUser) publish(scope, { type: "user.created", userId: user.id, phone, method });
  publish(scope, { type: "user.signed_in", userId: user.id, phone, method, isNewUser });
  return { session, user: toPublicUser(user, phone.e164), isNewUser };
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
  const [user] = await Promise.all([findUserByPhone(db, phone.e164), hitClient(scope, "verify", phone, "password")]);
  const stored = user?.passwordHash ?? (await dummyPasswordHash());
  const matches = (await verifyPassword(password, stored)) && user?.passwordHash != null;

  const recorded = await phoneGuard(scope.env, phone).passwordLogin(phone.e164, matches);
  if (!recorded.ok) throw new ApiError("too_many_attempts", { retryAfter: recorded.retryAfterMs / 1000 });
  if (recorded.lockedNow) {
    scope.log.event("password.locked", { phone: maskPhone(phone) });
    publish(scope, { type: "phone.locked", phone, reason: "password" });
  }
  if (!matches || !user) {
    publish(scope, { type: "sign_in.failed", phone, method: "password", reason: "invalid_credentials" });
    throw new ApiError("invalid_credentials");
  }

  refuseBanned(scope, user, phone, "password");

  if (needsRehash(stored)) {
    // The cost setting changed since this hash was made: store it again at today's cost.
    await db
      .update(users)
      .set({ passwordHash: await hashPassword(password), updatedAt: Date.now() })
      .where(eq(users.id, user.id));
  }
  const session = await startSession(scope, db, user.id);
  publish(scope, { type: "user.signed_in", userId: user.id, phone, method: "password", isNewUser: false });
  return { session, user: toPublicUser(user, phone.e164) };
}
