import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import { maskPhone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { assertStrongPassword, hashPassword } from "./passwords";
import { type PhoneProof, provePhone } from "./phone-proof";
import { endUserSessions } from "./sessions";
import { findUserByPhone } from "./users";

/** Sets a new password from a reset code or token and ends every session of the user. */
export async function resetPassword(scope: RequestScope, db: Db, proof: PhoneProof, newPassword: string): Promise<void> {
  const { phone, giveBack } = await provePhone(scope, proof, "reset_password", (p) => assertStrongPassword(newPassword, p, "newPassword"));
  const user = await findUserByPhone(db, phone.e164);
  // A reset code is never sent to an unknown number, so this is a token whose phone was freed since.
  if (!user) throw new ApiError("invalid_verification_token");
  const passwordHash = await hashPassword(newPassword);
  try {
    await db.batch([db.update(users).set({ passwordHash, updatedAt: Date.now() }).where(eq(users.id, user.id)), endUserSessions(db, user.id)]);
  } catch (error) {
    await giveBack();
    throw error;
  }
  scope.log.event("password.reset", { phone: maskPhone(phone) });
  publish(scope, { type: "user.password_changed", userId: user.id, phone, reason: "reset" });
  publish(scope, { type: "session.ended", userId: user.id, reason: "password_reset" });
}
