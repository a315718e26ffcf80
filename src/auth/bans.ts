import type { UserRow } from "../db/schema";
import { publish } from "../events/publish";
import type { SignInMethod } from "../events/types";
import { ApiError } from "../http/errors/api-error";
import type { Phone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";

/**
 * A banned user (POST /v1/admin/users/{id}/ban) gets 403 account_disabled from every way in: each
 * sign-in checks here once the phone is proven (the code spent, the password checked), so the
 * answer tells nothing to someone who cannot prove the phone; every Bearer call checks the user
 * row it loads with the session (src/http/context.ts). Banning also ends every session.
 */
export function refuseBanned(scope: RequestScope, user: Pick<UserRow, "bannedAt">, phone: Phone, method: SignInMethod): void {
  if (user.bannedAt !== null) refuseDisabled(scope, phone, method);
}

/** The refusal itself, for a sign-in that already knows the account is banned (src/auth/phone-session.ts). */
export function refuseDisabled(scope: RequestScope, phone: Phone, method: SignInMethod): never {
  publish(scope, { type: "sign_in.failed", phone, method, reason: "account_disabled" });
  throw new ApiError("account_disabled");
}
