import type { Db } from "../db/client";
import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import { type Phone, parsePhone } from "../phone/phone";
import type { RequestScope } from "../platform/scope";
import { codeToSession, phoneNumber, type WechatIdentity, type WechatSettings } from "../wechat/api";
import { wechatError } from "../wechat/errors";
import { issueWechatTicket, type SpentTicket, spendWechatTicket } from "../wechat/ticket";
import { wechatSettingsOf, withAccessToken } from "../wechat/token";
import { findUserByWechat, linkWechatStatement, wechatOwner } from "./identities";
import { countAgainstClient } from "./proof-limits";
import { startSession } from "./sessions";
import { type SignedIn, signInWithVerifiedPhone } from "./sign-in";
import { findUserByPhone, toPublicUser } from "./users";

/**
 * WeChat Mini Program sign-in (docs/wechat-and-one-tap.md): wx.login()'s code names a WeChat
 * identity; a linked identity signs its user in, an unlinked one gets a short-lived single-use
 * ticket to bring to the phone step, where WeChat's own phone verification proves the number.
 */

export type WechatLogin = { status: "signed_in"; signedIn: SignedIn } | { status: "phone_required"; wechatTicket: string; expiresIn: number };

/** The identity behind a wx.login() code (for sign-in and for linking). */
export async function wechatIdentityOf(scope: RequestScope, settings: WechatSettings, code: string): Promise<WechatIdentity> {
  const answer = await codeToSession(settings, code);
  if (!answer.ok) throw wechatError(scope, "jscode2session", answer);
  return answer.value;
}

export async function wechatLogin(scope: RequestScope, db: Db, code: string): Promise<WechatLogin> {
  const settings = wechatSettingsOf(scope.config);
  await countAgainstClient(scope, "wechat");
  const identity = await wechatIdentityOf(scope, settings, code);
  const linked = await findUserByWechat(db, identity);
  if (!linked) return { status: "phone_required", ...(await issueWechatTicket(scope, identity)) };

  const session = await startSession(scope, db, linked.user.id);
  const phone = linked.phone ? parsePhone(linked.phone) : null;
  publish(scope, { type: "user.signed_in", userId: linked.user.id, phone, method: "wechat", isNewUser: false });
  return { status: "signed_in", signedIn: { session, user: toPublicUser(linked.user, linked.phone) } };
}

/** The phone behind a getPhoneNumber code, parsed and held to the same country rules as SMS sign-in. */
async function wechatPhone(scope: RequestScope, settings: WechatSettings, phoneCode: string): Promise<Phone> {
  const answer = await withAccessToken(scope, settings, (token) => phoneNumber(settings, token, phoneCode));
  if (!answer.ok) throw wechatError(scope, "getuserphonenumber", answer);
  const { purePhoneNumber, countryCode, appId } = answer.value;
  // WeChat stamps the number with the app it was issued to; anything else is not ours to trust.
  if (appId !== undefined && appId !== settings.appId) {
    scope.log.event("wechat.failed", { step: "getuserphonenumber", errcode: "watermark_mismatch" });
    throw new ApiError("wechat_unavailable");
  }
  const phone = parsePhone(`+${countryCode.replace(/^\+/, "")}${purePhoneNumber}`);
  if (!scope.config.ALLOWED_COUNTRIES.includes(phone.country)) throw new ApiError("country_not_allowed");
  return phone;
}

/**
 * The phone step: login-or-register with the number WeChat vouches for (no SMS sent); with a
 * ticket, the WeChat identity it stands for is linked to that user in the same D1 batch. The
 * ticket is spent first, so of parallel uses exactly one goes on; it is given back when the step
 * fails for any reason but the identity belonging to someone else.
 */
export async function wechatPhoneSignIn(
  scope: RequestScope,
  db: Db,
  phoneCode: string,
  ticket: string | undefined,
): Promise<SignedIn & { isNewUser: boolean }> {
  const settings = wechatSettingsOf(scope.config);
  await countAgainstClient(scope, "wechat");
  const spent: SpentTicket | undefined = ticket === undefined ? undefined : await spendWechatTicket(scope, ticket);
  try {
    const phone = await wechatPhone(scope, settings, phoneCode);
    if (!spent) return await signInWithVerifiedPhone(scope, db, phone, "wechat");

    const identity = spent.identity;
    const owner = await wechatOwner(db, identity);
    if (owner !== undefined && (await findUserByPhone(db, phone.e164))?.id !== owner) {
      // Linked to another user since the ticket was issued: nothing is signed in or moved.
      throw new ApiError("identity_in_use");
    }
    const link = owner === undefined;
    const signedIn = await signInWithVerifiedPhone(scope, db, phone, "wechat", (user) => (link ? [linkWechatStatement(db, identity, user)] : []));
    // The insert gives way on a conflict (linked meanwhile, or the user has another WeChat): say so only when it took.
    if (link && (await wechatOwner(db, identity)) === signedIn.user.id) {
      publish(scope, { type: "identity.linked", userId: signedIn.user.id, provider: "wechat" });
    }
    return signedIn;
  } catch (error) {
    if (spent && !(error instanceof ApiError && error.code === "identity_in_use")) await spent.giveBack();
    throw error;
  }
}
