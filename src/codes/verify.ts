import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import { hitClient } from "../limits/client-limits";
import type { CheckResult } from "../limits/phone-guard";
import { phoneGuard } from "../limits/stubs";
import { maskPhone, type Phone } from "../phone/phone";
import { fromBase64Url, timingSafeEqual } from "../platform/crypto";
import type { RequestScope } from "../platform/scope";
import type { Purpose } from "./purpose";
import { boundTo, codeKey, codeMac, readStoredCode } from "./storage";
import { newTokenId, signVerificationToken } from "./verification-token";

/**
 * Checks a code. The caller's address is counted first (in parallel with the KV read): a guess
 * from an address over its limit is refused before it is evaluated, so a right and a wrong one
 * answer alike, neither counts against the phone, and the right code stays usable. Then KV gives
 * the current code's id and hash; the comparison runs here in constant time; the Durable Object
 * decides in one call whether the guess is allowed and the code unused, counts it and spends it.
 * A guess when KV has no code answers code_expired and counts nothing against the phone.
 * Resolves when the code was right and is now spent; throws the API error otherwise.
 */
async function spend(
  scope: RequestScope,
  phone: Phone,
  purpose: Purpose,
  code: string,
  token?: { jti: string; expiresAt: number },
  subject?: string,
): Promise<SpentCode> {
  const { env, config } = scope;
  const [raw] = await Promise.all([env.CODES.get(codeKey(purpose, phone.e164)), hitClient(scope, "verify", phone)]);
  const stored = readStoredCode(raw);
  // Nothing to guess at: nothing counts against the phone (the address was counted above, or
  // probing numbers for live codes would be free).
  if (!stored) throw new ApiError("code_expired");

  const expected = fromBase64Url(stored.mac);
  const actual = await codeMac(config.AUTH_SECRET, stored.id, boundTo(phone.e164, subject), purpose, code);
  const matches = expected !== undefined && timingSafeEqual(actual, expected);

  const guard = phoneGuard(env, phone);
  const checked = await guard.checkCode(phone.e164, purpose, stored.id, matches, token);
  if (!checked.ok) throw checkError(scope, phone, purpose, checked);
  publish(scope, { type: "code.verified", phone, purpose, ...(stored.provider ? { provider: stored.provider } : {}) });
  // The KV entry is left to expire with the code: the Durable Object already refuses a spent
  // code, a delete would be one more KV write per sign-in, and giveBack needs the entry.
  return { giveBack: () => guard.reopenCode(phone.e164, purpose, stored.id, token?.jti) };
}

function checkError(scope: RequestScope, phone: Phone, purpose: Purpose, checked: Exclude<CheckResult, { ok: true }>): ApiError {
  switch (checked.reason) {
    case "expired":
      return new ApiError("code_expired");
    case "invalid":
      if (checked.lockedNow) {
        scope.log.event("phone.locked", { phone: maskPhone(phone), purpose });
        publish(scope, { type: "phone.locked", phone, reason: "guesses" });
      }
      return new ApiError("invalid_code", { attemptsLeft: checked.attemptsLeft });
    case "too_many_attempts":
    case "locked":
      return new ApiError("too_many_attempts", { retryAfter: checked.retryAfterMs / 1000 });
  }
}

/** A spent code, and the way to make it usable again if the work it was spent on fails. */
export interface SpentCode {
  /** For failures that are not the user's (D1 unavailable): the user can submit the same code again. */
  giveBack(): Promise<void>;
}

/**
 * Spends a code in the request that uses it (SMS login, a reset or phone change with a code).
 * `subject`: the user a change_phone or reauthenticate code was asked for (storage.ts boundTo).
 */
export async function verifyCode(scope: RequestScope, phone: Phone, purpose: Purpose, code: string, subject?: string): Promise<SpentCode> {
  return spend(scope, phone, purpose, code, undefined, subject);
}

/**
 * Spends a code for a verificationToken that stands for it in a later request (POST
 * /v1/codes/verify): the token's id is registered for single use in the same Durable Object call.
 */
export async function exchangeCode(
  scope: RequestScope,
  phone: Phone,
  purpose: Purpose,
  code: string,
  subject?: string,
): Promise<{ verificationToken: string; expiresIn: number }> {
  const { config } = scope;
  const token = { jti: newTokenId(), expiresAt: Date.now() + config.VERIFICATION_TOKEN_TTL_SECONDS * 1000 };
  await spend(scope, phone, purpose, code, token, subject);
  const verificationToken = await signVerificationToken(config.AUTH_SECRET, {
    phone: phone.e164,
    purpose,
    ...token,
    ...(subject === undefined ? {} : { subject }),
  });
  return { verificationToken, expiresIn: config.VERIFICATION_TOKEN_TTL_SECONDS };
}
