import { eq, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { identities, type SessionRow, sessions, type UserRow, users } from "../db/schema";
import type { RequestScope } from "../platform/scope";
import { type NewSession, newSessionFields, reportTrimmed, trimSessions } from "./sessions";
import { phoneIdentityIs } from "./users";

/**
 * The user signing in, as the statements of the sign-in's batch see it: `userId` is SQL for the
 * phone's user id (there may be no row before the batch), `started` is SQL true once the session
 * was inserted, i.e. the user exists and is not banned.
 */
export interface SigningIn {
  userId: SQL;
  started: SQL;
}

/** Statements to run in the sign-in's batch, after the session insert (e.g. linking a WeChat identity). */
export type WithUser = (user: SigningIn) => BatchItem<"sqlite">[];

/**
 * A proven phone becomes a user and a session in one D1 round trip: one batch (atomic, and D1
 * runs one batch at a time) that creates the user and its phone identity if the phone has none,
 * inserts the session for the phone's user unless banned, runs `withUser`'s statements, trims the
 * user's sessions to the cap, and reads the user back. Looking the user up first would cost a
 * second round trip on every sign-in (docs/benchmark.md); since the batch decides with conditions
 * inside it, a registration racing it for the same phone can neither fail it nor make a second user.
 *
 * `session` is undefined when the user is banned: nothing was started, and the caller refuses.
 */
export async function startPhoneSession(
  scope: RequestScope,
  db: Db,
  phone: string,
  withUser: WithUser = () => [],
  now = Date.now(),
): Promise<{ user: UserRow; isNewUser: boolean; session: NewSession | undefined }> {
  const fields = await newSessionFields(scope, now);
  const newUserId = crypto.randomUUID();
  const phoneIdentity = sql`${identities.provider} = 'phone' AND ${identities.identifier} = ${phone}`;
  const signingIn: SigningIn = {
    userId: sql`(SELECT ${identities.userId} FROM ${identities} WHERE ${phoneIdentity})`,
    started: sql`EXISTS (SELECT 1 FROM ${sessions} WHERE ${sessions.id} = ${fields.id})`,
  };
  // INSERT … SELECT (drizzle's insert().select()): the SELECT lists every column in the table's order.
  const statements: BatchItem<"sqlite">[] = [
    db
      .insert(users)
      .select(sql`SELECT ${newUserId}, NULL, NULL, NULL, ${now}, ${now}, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM ${identities} WHERE ${phoneIdentity})`),
    db.insert(identities).select(sql`SELECT 'phone', ${phone}, ${newUserId}, ${now} WHERE EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${newUserId})`),
    db.insert(sessions).select(
      sql`SELECT ${fields.id}, ${users.id}, ${fields.refreshHash}, ${now}, ${now}, ${fields.expiresAt}, ${fields.maxExpiresAt}, ${now}, ${fields.userAgent}, ${fields.country}
            FROM ${identities} INNER JOIN ${users} ON ${users.id} = ${identities.userId}
            WHERE ${phoneIdentity} AND ${users.bannedAt} IS NULL`,
    ),
    ...withUser(signingIn),
    trimSessions(db, scope.config, signingIn.userId, fields.id, now, signingIn.started),
    db.select({ user: users }).from(identities).innerJoin(users, eq(users.id, identities.userId)).where(phoneIdentityIs(phone)).limit(1),
  ];
  const results = await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  const user = (results.at(-1) as { user: UserRow }[])[0]?.user;
  // The batch makes the phone's user if there was none: a missing row is a broken database.
  if (!user) throw new Error("phone sign-in: no user after the batch");
  const session = user.bannedAt === null ? { id: fields.id, refreshToken: fields.refreshToken, expiresAt: fields.expiresAt } : undefined;
  if (session) reportTrimmed(scope, user.id, results.at(-2) as Pick<SessionRow, "id" | "expiresAt" | "maxExpiresAt">[], now);
  return { user, isNewUser: user.id === newUserId, session };
}
