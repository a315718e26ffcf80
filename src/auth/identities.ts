import { and, eq, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { identities, type UserRow, users } from "../db/schema";
import { ApiError } from "../http/errors/api-error";
import type { WechatIdentity } from "../wechat/api";
import { maskWechatIdentifier, wechatIdentifier } from "../wechat/identity";
import type { SigningIn } from "./phone-session";
import { isUniqueViolation, phoneIdentityOfUser } from "./users";

/**
 * The ways a user signs in, in D1's identities table: one row per (provider, identifier), so a
 * phone or a WeChat identity belongs to at most one user, and at most one of each per user. A
 * WeChat row's identifier is the unionid when WeChat gives one, else the openid.
 */

const wechatIs = (identifier: string) => and(eq(identities.provider, "wechat"), eq(identities.identifier, identifier));

export interface UserWithPhone {
  user: UserRow;
  phone: string | null;
}

const wechatRow = alias(identities, "wechat_identity");

/** One query: the WeChat row, its user, and the user's phone. */
async function userOfWechat(db: Db, identifier: string): Promise<UserWithPhone | undefined> {
  const rows = await db
    .select({ user: users, phone: identities.identifier })
    .from(wechatRow)
    .innerJoin(users, eq(users.id, wechatRow.userId))
    .leftJoin(identities, phoneIdentityOfUser)
    .where(and(eq(wechatRow.provider, "wechat"), eq(wechatRow.identifier, identifier)))
    .limit(1);
  return rows[0];
}

/**
 * The user a WeChat identity is linked to. A row linked by openid before the app was bound to an
 * open platform account is found by its openid and moved to the unionid, so it is found by unionid
 * from any of the company's apps from then on.
 */
export async function findUserByWechat(db: Db, identity: WechatIdentity): Promise<UserWithPhone | undefined> {
  const found = await userOfWechat(db, wechatIdentifier(identity));
  if (found || !identity.unionid) return found;
  const byOpenid = await userOfWechat(db, identity.openid);
  if (byOpenid) {
    try {
      await db.update(identities).set({ identifier: identity.unionid }).where(wechatIs(identity.openid));
    } catch (error) {
      // The unionid was linked meanwhile (to this or another user): keep the openid row as it is.
      if (!isUniqueViolation(error)) throw error;
    }
  }
  return byOpenid;
}

/** The user id a WeChat identity is linked to (by unionid or openid), if any. */
export async function wechatOwner(db: Db, identity: WechatIdentity): Promise<string | undefined> {
  const ids = [...new Set([wechatIdentifier(identity), identity.openid])];
  for (const identifier of ids) {
    const rows = await db.select({ userId: identities.userId }).from(identities).where(wechatIs(identifier)).limit(1);
    if (rows[0]) return rows[0].userId;
  }
  return undefined;
}

/**
 * The insert that links `identity` to the user signing in, for the sign-in batch
 * (src/auth/phone-session.ts): only once that batch has started the session (the user exists and
 * is not banned). A conflict is ignored: the identity was linked to someone meanwhile, or the user
 * already has another WeChat; then the sign-in still succeeds and nothing is linked (never someone
 * else's identity moved).
 */
export function linkWechatStatement(db: Db, identity: WechatIdentity, user: SigningIn, now = Date.now()) {
  // INSERT … SELECT: the SELECT lists the table's columns in order (provider, identifier, user_id, created_at).
  return db
    .insert(identities)
    .select(sql`SELECT 'wechat', ${wechatIdentifier(identity)}, ${user.userId}, ${now} WHERE ${user.started}`)
    .onConflictDoNothing();
}

/**
 * Links the signed-in user's WeChat, replacing the one linked before (one WeChat per user).
 * 409 identity_in_use when it belongs to another user; linking the one already linked is a no-op.
 */
export async function linkWechat(db: Db, userId: string, identity: WechatIdentity): Promise<"linked" | "unchanged"> {
  const owner = await wechatOwner(db, identity);
  if (owner !== undefined && owner !== userId) throw new ApiError("identity_in_use");
  if (owner === userId) return "unchanged";
  try {
    await db.batch([
      db.delete(identities).where(and(eq(identities.userId, userId), eq(identities.provider, "wechat"))),
      db.insert(identities).values({ provider: "wechat", identifier: wechatIdentifier(identity), userId, createdAt: Date.now() }),
    ]);
  } catch (error) {
    // Linked to someone else between the check and the batch.
    if (isUniqueViolation(error)) throw new ApiError("identity_in_use");
    throw error;
  }
  return "linked";
}

/** Unlinks the user's WeChat; true when there was one. The phone is never touched, so nobody is locked out. */
export async function unlinkWechat(db: Db, userId: string): Promise<boolean> {
  const removed = await db
    .delete(identities)
    .where(and(eq(identities.userId, userId), eq(identities.provider, "wechat")))
    .returning({ identifier: identities.identifier });
  return removed.length > 0;
}

export type IdentityView = { provider: "phone"; identifier: string } | { provider: "wechat"; identifier: string; linkedAt: string } | { provider: "password" };

/** What GET /v1/me/identities shows: the phone, the WeChat (masked) and whether a password is set. */
export async function listIdentities(db: Db, user: UserRow): Promise<IdentityView[]> {
  const rows = await db.select().from(identities).where(eq(identities.userId, user.id));
  const views: IdentityView[] = [];
  for (const row of rows.filter((r) => r.provider === "phone")) views.push({ provider: "phone", identifier: row.identifier });
  for (const row of rows.filter((r) => r.provider === "wechat")) {
    views.push({ provider: "wechat", identifier: maskWechatIdentifier(row.identifier), linkedAt: new Date(row.createdAt).toISOString() });
  }
  if (user.passwordHash !== null) views.push({ provider: "password" });
  return views;
}
