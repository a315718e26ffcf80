import { readTokenFor, restoreToken } from "../codes/tokens";
import type { Db } from "../db/client";
import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import { hitClient } from "../limits/client-limits";
import { phoneGuard } from "../limits/stubs";
import type { RequestScope } from "../platform/scope";
import { assertStrongPassword, hashPassword } from "./passwords";
import { type NewSession, startSession } from "./sessions";
import { createUserStatements, isUniqueViolation, type PublicUser, toPublicUser } from "./users";

/**
 * Password registration in four steps: (1) POST /v1/codes purpose register, (2) verify it for a
 * verificationToken, (3) set a password, (4) submit the profile, which creates the account.
 *
 * Step 3's state (the hash, never the password) is kept in the phone's Durable Object beside the
 * token and dies with it. Not in KV: KV is eventually consistent across locations, so a step 4
 * served elsewhere right after step 3 could miss it; the object is one strongly consistent place.
 */

/**
 * Step 3. Repeatable until step 4 (the last password wins). Returns seconds left on the token.
 * The token's liveness is asked of the phone's Durable Object, and the call counted against the
 * address's verification limit (in parallel, one round trip), before the PBKDF2 run: a spent or
 * stolen token, or a flood from one address, costs no hashing.
 */
export async function setRegistrationPassword(scope: RequestScope, token: string, password: string, passwordConfirm: string): Promise<number> {
  const verified = await readTokenFor(scope, token, "register");
  const { phone, claims } = verified;
  if (password !== passwordConfirm) throw new ApiError("password_mismatch");
  assertStrongPassword(password, phone, "password");
  const guard = phoneGuard(scope.env, phone);
  const [live] = await Promise.all([guard.tokenLive(phone.e164, claims.jti, "register"), hitClient(scope, "verify", phone)]);
  if (!live) throw new ApiError("invalid_verification_token");
  const passwordHash = await hashPassword(password);
  const staged = await guard.stagePassword(phone.e164, claims.jti, passwordHash);
  if (!staged.ok) throw new ApiError("invalid_verification_token");
  return Math.max(1, Math.floor((claims.expiresAt - Date.now()) / 1000));
}

/**
 * Step 4: spends the token and creates user, phone identity and session in one D1 batch.
 * Without step 3 it is 409 password_required and the token stays usable. If the phone was
 * registered meanwhile it is 409 phone_registered and the sign-up state is gone (as after success).
 */
export async function completeRegistration(scope: RequestScope, db: Db, token: string, nickname: string): Promise<{ session: NewSession; user: PublicUser }> {
  const verified = await readTokenFor(scope, token, "register");
  const { phone, claims } = verified;
  const taken = await phoneGuard(scope.env, phone).takeRegistration(phone.e164, claims.jti);
  if (!taken.ok) throw new ApiError(taken.reason === "password_required" ? "password_required" : "invalid_verification_token");

  const created = createUserStatements(db, { phone: phone.e164, nickname, passwordHash: taken.passwordHash });
  let session: NewSession;
  try {
    session = await startSession(scope, db, created.row.id, created.statements);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ApiError("phone_registered");
    // Not the user's fault: give the token and the staged password back so a retry can succeed.
    await restoreToken(scope, verified, taken.passwordHash);
    throw error;
  }
  publish(scope, { type: "user.created", userId: created.row.id, phone, method: "registration" });
  publish(scope, { type: "user.signed_in", userId: created.row.id, phone, method: "registration", isNewUser: true });
  return { session, user: toPublicUser(created.row, phone.e164) };
}
