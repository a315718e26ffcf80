import type { Db } from "../db/client";
import { publish } from "../events/publish";
import type { RequestScope } from "../platform/scope";
import { wechatSettingsOf } from "../wechat/token";
import { linkWechat, unlinkWechat } from "./identities";
import { countAgainstClient } from "./proof-limits";
import { requireRecentAuthentication } from "./recent-auth";
import type { SessionUser } from "./sessions";
import { wechatIdentityOf } from "./wechat-sign-in";

/**
 * Linking and unlinking the signed-in user's WeChat. Both change how the account can be entered,
 * so both need a recent authentication (403 reauthentication_required otherwise; the shared
 * check of src/auth/recent-auth.ts: a sign-in or POST /v1/auth/reauthenticate within
 * REAUTH_WINDOW_SECONDS).
 */
export async function linkMyWechat(scope: RequestScope, db: Db, session: SessionUser, code: string): Promise<void> {
  const settings = wechatSettingsOf(scope.config);
  await countAgainstClient(scope, "identities");
  requireRecentAuthentication(scope.config, session);
  const identity = await wechatIdentityOf(scope, settings, code);
  if ((await linkWechat(db, session.user.id, identity)) === "linked") publish(scope, { type: "identity.linked", userId: session.user.id, provider: "wechat" });
}

export async function unlinkMyWechat(scope: RequestScope, db: Db, session: SessionUser): Promise<void> {
  await countAgainstClient(scope, "identities");
  requireRecentAuthentication(scope.config, session);
  if (await unlinkWechat(db, session.user.id)) publish(scope, { type: "identity.unlinked", userId: session.user.id, provider: "wechat" });
}
