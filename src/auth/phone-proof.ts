import { readTokenFor, restoreToken, spendToken } from "../codes/tokens";
import { verifyCode } from "../codes/verify";
import { hitClient } from "../limits/client-limits";
import { type Phone, parsePhone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";

export type PhoneProof = { phone: string; code: string } | { verificationToken: string };

/**
 * Turns a code or a verificationToken for `purpose` into the verified phone. `check` runs first,
 * before anything is spent, so a request refused for another reason (weak password, number in
 * use) leaves the code or token usable. `giveBack` makes the code or token usable again if the
 * work it was spent on fails for a reason that is not the user's.
 */
export async function provePhone(
  scope: RequestScope,
  proof: PhoneProof,
  purpose: "reset_password" | "change_phone",
  check: (phone: Phone) => Promise<void> | void,
  /** The user a change_phone code or token must have been asked for (codes/storage.ts boundTo). */
  subject?: string,
): Promise<{ phone: Phone; giveBack: () => Promise<void> }> {
  if ("code" in proof) {
    const phone = parsePhone(proof.phone);
    await check(phone);
    const spent = await verifyCode(scope, phone, purpose, proof.code, subject);
    return { phone, giveBack: spent.giveBack };
  }
  const token = await readTokenFor(scope, proof.verificationToken, purpose, subject);
  await check(token.phone);
  // A token is counted against the address like a code (issue 10), in parallel with spending it;
  // if the address is over its limit, the token is given back and the answer is the 429.
  const [spent, counted] = await Promise.allSettled([spendToken(scope, token), hitClient(scope, "verify", token.phone)]);
  if (counted.status === "rejected") {
    if (spent.status === "fulfilled") await restoreToken(scope, token);
    throw counted.reason;
  }
  if (spent.status === "rejected") throw spent.reason;
  return { phone: token.phone, giveBack: () => restoreToken(scope, token) };
}
