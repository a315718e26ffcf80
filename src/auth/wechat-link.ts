import type { Db } from "../db/client";
import { publish } from "../events/publish";
import type { RequestScope } from "../platform/scope";
import { wechatSettingsOf } from "../wechat/token";
import { linkWechat, unlinkWechat } from "./identities";
import { countAgainstClient } from "./proof-limits";
import { requireRecentSignInLocal } from "./recent-authentication";
import type { SessionUser } from "./sessions";
import { wechatIdentityOf } from "./wechat-sign-in";

/**
 * Linking and unlinking the signed-in user's WeChat. Both change how the account can be entered,
 * so both need a recent authentication (403 reauthentication_required otherwise; see
 * recent-authentication.ts for the stand-in used until the shared check exists).
 */
export async function linkMyWechat(scope: RequestScope, db: Db, session: SessionUser, code: string): Promise<void> {
  const settings = wechatSettingsOf(scope.config);
  await countAgainstClient(scope, "identities");
  await requireRecentSignInLocal(db, session);
  const identity = await wechatIdentityOf(scope, settings, code);
  if ((await linkWechat(db, session.user.id, identity)) === "linked") publish(scope, { type: "identity.linked", userId: session.user.id, provider: "wechat" });
}

export async function unlinkMyWechat(scope: RequestScope, db: Db, session: SessionUser): Promise<void> {
  await countAgainstClient(scope, "identities");
  await requireRecentSignInLocal(db, session);
  if (await unlinkWechat(db, session.user.id)) publish(scope, { type: "identity.unlinked", userId: session.user.id, provider: "wechat" });
}
