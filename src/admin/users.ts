import { and, count, eq, gt, isNotNull } from "drizzle-orm";
import { endUserSessions as deleteUserSessions } from "../auth/sessions";
import { findUserById, findUserByPhone, type PublicUser, toPublicUser } from "../auth/users";
import type { Db } from "../db/client";
import { identities, sessions, type UserRow, users } from "../db/schema";
import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import type { RequestScope } from "../platform/scope";

/** A user as an operator sees it: the public user, how it signs in, its live sessions and its ban. */
export interface AdminUser {
  user: PublicUser;
  identities: { provider: string; identifier: string; createdAt: string }[];
  liveSessions: number;
  banned: { at: string; reason: string } | null;
}

async function describe(db: Db, row: UserRow, phone: string | null): Promise<AdminUser> {
  const now = Date.now();
  const [linked, live] = await Promise.all([
    db.select().from(identities).where(eq(identities.userId, row.id)),
    db
      .select({ n: count() })
      .from(sessions)
      .where(and(eq(sessions.userId, row.id), gt(sessions.expiresAt, now), gt(sessions.maxExpiresAt, now))),
  ]);
  return {
    user: toPublicUser(row, phone),
    identities: linked.map((i) => ({ provider: i.provider, identifier: i.identifier, createdAt: new Date(i.createdAt).toISOString() })),
    liveSessions: live[0]?.n ?? 0,
    banned: row.bannedAt === null ? null : { at: new Date(row.bannedAt).toISOString(), reason: row.banReason ?? "" },
  };
}

export async function adminUserById(db: Db, id: string): Promise<AdminUser> {
  const found = await findUserById(db, id);
  if (!found) throw new ApiError("user_not_found");
  return describe(db, found.user, found.phone);
}

export async function adminUserByPhone(db: Db, e164: string): Promise<AdminUser | null> {
  const row = await findUserByPhone(db, e164);
  return row ? describe(db, row, e164) : null;
}

/**
 * Bans a user and ends every session in one D1 batch. Sign-ins and Bearer calls then answer 403
 * account_disabled (src/auth/bans.ts). Banning a banned user updates the reason and keeps the date.
 */
export async function banUser(scope: RequestScope, db: Db, id: string, reason: string, actor: string): Promise<AdminUser> {
  const now = Date.now();
  const [banned, ended] = await db.batch([
    db.update(users).set({ bannedAt: now, banReason: reason, updatedAt: now }).where(eq(users.id, id)).returning({ id: users.id }),
    deleteUserSessions(db, id).returning({ id: sessions.id }),
  ]);
  if (banned.length === 0) throw new ApiError("user_not_found");
  publish(scope, { type: "user.banned", userId: id, reason, actor });
  if (ended.length > 0) publish(scope, { type: "session.ended", userId: id, reason: "banned" });
  return adminUserById(db, id);
}

export async function unbanUser(scope: RequestScope, db: Db, id: string, actor: string): Promise<AdminUser> {
  const now = Date.now();
  const lifted = await db
    .update(users)
    .set({ bannedAt: null, banReason: null, updatedAt: now })
    .where(and(eq(users.id, id), isNotNull(users.bannedAt)))
    .returning({ id: users.id });
  if (lifted.length > 0) publish(scope, { type: "user.unbanned", userId: id, actor });
  return adminUserById(db, id);
}

/** Ends every session of a user ("this account was stolen"); answers how many there were. */
export async function endUserSessions(scope: RequestScope, db: Db, id: string, actor: string): Promise<number> {
  if (!(await findUserById(db, id))) throw new ApiError("user_not_found");
  const ended = await deleteUserSessions(db, id).returning({ id: sessions.id });
  publish(scope, { type: "admin.sessions_ended", userId: id, actor, count: ended.length });
  if (ended.length > 0) publish(scope, { type: "session.ended", userId: id, reason: "admin" });
  return ended.length;
}
