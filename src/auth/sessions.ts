import { and, desc, eq, gt, lte, ne, notInArray, or, type Placeholder, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { identities, type SessionRow, sessions, type UserRow, users } from "../db/schema";
import { publish } from "../events/publish";
import { randomBytes, sha256Hex, toBase64Url } from "../platform/crypto";
import type { RequestScope } from "../platform/scope";
import { phoneIdentityOfUser } from "./users";

/**
 * Sessions (docs/tokens.md). The refresh token is the session: 256 random bits held by the client,
 * only its SHA-256 in D1. Its expiry slides with each refresh (SESSION_TTL_SECONDS) but never past
 * the absolute lifetime (SESSION_MAX_AGE_SECONDS from creation). A user has at most
 * SESSIONS_PER_USER live sessions: the batch that creates one ends the oldest beyond the cap (and
 * any of the user's expired rows) in the same atomic step.
 */

export interface SessionUser {
  sessionId: string;
  user: UserRow;
  phone: string | null;
  expiresAt: number;
  /** When the session last proved a factor (signed in or re-authenticated): the recent-auth check. */
  authenticatedAt: number;
}

export interface NewSession {
  id: string;
  refreshToken: string;
  /** When the refresh token (the session) expires, Unix ms. */
  expiresAt: number;
}

type Statement = BatchItem<"sqlite">;

export const newRefreshToken = () => toBase64Url(randomBytes(32));

/** How long a session refreshed at `now` stays alive: the sliding TTL, capped by the absolute lifetime. */
export function slidingExpiry(scope: RequestScope, now: number, maxExpiresAt: number): number {
  return Math.min(now + scope.config.SESSION_TTL_SECONDS * 1000, maxExpiresAt);
}

/** What a new session is made of, wherever it is inserted: its id, refresh token (and hash) and expiries. */
export interface SessionFields extends NewSession {
  refreshHash: string;
  maxExpiresAt: number;
  userAgent: string | null;
  country: string | null;
}

export async function newSessionFields(scope: RequestScope, now: number): Promise<SessionFields> {
  const refreshToken = newRefreshToken();
  const maxExpiresAt = now + scope.config.SESSION_MAX_AGE_SECONDS * 1000;
  return {
    id: crypto.randomUUID(),
    refreshToken,
    refreshHash: await sha256Hex(refreshToken),
    expiresAt: slidingExpiry(scope, now, maxExpiresAt),
    maxExpiresAt,
    userAgent: scope.userAgent?.slice(0, 200) ?? null,
    country: scope.country ?? null,
  };
}

/**
 * The delete that keeps the user's newest SESSIONS_PER_USER live sessions (the new one always among
 * them) and drops the user's expired rows; it answers what it deleted. `userId` may be SQL (a
 * subquery, src/auth/phone-session.ts); `when` guards it (e.g. only if the new session was made).
 */
export function trimSessions(
  db: Db,
  cap: number | Placeholder,
  userId: string | SQL,
  newSessionId: string | Placeholder,
  now: number | Placeholder,
  when?: SQL,
) {
  const live = and(eq(sessions.userId, userId), gt(sessions.expiresAt, now), gt(sessions.maxExpiresAt, now));
  const kept = db
    .select({ id: sessions.id })
    .from(sessions)
    .where(live)
    // The new session first whatever the clock says, then the newest.
    .orderBy(desc(sql`${sessions.id} = ${newSessionId}`), desc(sessions.createdAt), desc(sessions.id))
    .limit(cap);
  return db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), or(lte(sessions.expiresAt, now), lte(sessions.maxExpiresAt, now), notInArray(sessions.id, kept)), when))
    .returning({ id: sessions.id, expiresAt: sessions.expiresAt, maxExpiresAt: sessions.maxExpiresAt });
}

/** Publishes session.ended for each live session the cap ended (expired rows were dead already). */
export function reportTrimmed(scope: RequestScope, userId: string, ended: readonly Pick<SessionRow, "id" | "expiresAt" | "maxExpiresAt">[], now: number): void {
  for (const row of ended) {
    if (row.expiresAt > now && row.maxExpiresAt > now) publish(scope, { type: "session.ended", userId, sessionId: row.id, reason: "session_limit" });
  }
}

/**
 * Creates a session for `userId` in one D1 batch: `before` (e.g. the statements that create the
 * user), the insert, `after`, then the delete of the user's sessions beyond the cap (never the
 * new one). Sign-ins by a proven phone use src/auth/phone-session.ts, which also finds or creates
 * the user in the same batch.
 */
export async function startSession(
  scope: RequestScope,
  db: Db,
  userId: string,
  before: readonly Statement[] = [],
  after: readonly Statement[] = [],
  now = Date.now(),
): Promise<NewSession> {
  const fields = await newSessionFields(scope, now);
  const insert = db.insert(sessions).values({
    id: fields.id,
    userId,
    refreshHash: fields.refreshHash,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: fields.expiresAt,
    maxExpiresAt: fields.maxExpiresAt,
    authenticatedAt: now,
    userAgent: fields.userAgent,
    country: fields.country,
  });
  const statements: Statement[] = [...before, insert, ...after, trimSessions(db, scope.config.SESSIONS_PER_USER, userId, fields.id, now)];
  const results = await db.batch(statements as [Statement, ...Statement[]]);
  reportTrimmed(scope, userId, results.at(-1) as Pick<SessionRow, "id" | "expiresAt" | "maxExpiresAt">[], now);
  return { id: fields.id, refreshToken: fields.refreshToken, expiresAt: fields.expiresAt };
}

/** The live session `sessionId` of `userId`, with its user, or undefined (ended, expired, unknown). */
export async function loadSession(db: Db, sessionId: string, userId: string, now = Date.now()): Promise<SessionUser | undefined> {
  const rows = await db
    .select({ session: sessions, user: users, phone: identities.identifier })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(identities, phoneIdentityOfUser)
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)))
    .limit(1);
  const row = rows[0];
  if (!row || row.session.expiresAt <= now || row.session.maxExpiresAt <= now) return undefined;
  return { sessionId, user: row.user, phone: row.phone, expiresAt: row.session.expiresAt, authenticatedAt: row.session.authenticatedAt };
}

/** Ends one session of the user; false when there was none (another user's id included). */
export async function endSession(db: Db, userId: string, sessionId: string): Promise<boolean> {
  const deleted = await db
    .delete(sessions)
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)))
    .returning({ id: sessions.id });
  return deleted.length > 0;
}

/** The statement that ends every session of the user, or every one but `keep`. */
export function endUserSessions(db: Db, userId: string, keep?: string) {
  return db.delete(sessions).where(keep === undefined ? eq(sessions.userId, userId) : and(eq(sessions.userId, userId), ne(sessions.id, keep)));
}

/** Marks the session as having just proved a factor (re-authentication). */
export async function markAuthenticated(db: Db, sessionId: string, now = Date.now()): Promise<void> {
  await db.update(sessions).set({ authenticatedAt: now }).where(eq(sessions.id, sessionId));
}

export interface DeviceSession {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  country: string | null;
  current: boolean;
}

/** The user's live sessions, newest first. */
export async function listSessions(db: Db, userId: string, currentId: string, now = Date.now()): Promise<DeviceSession[]> {
  const rows = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, now), gt(sessions.maxExpiresAt, now)))
    .orderBy(desc(sessions.createdAt));
  const iso = (ms: number) => new Date(ms).toISOString();
  return rows.map((r) => ({
    id: r.id,
    createdAt: iso(r.createdAt),
    lastSeenAt: iso(r.lastSeenAt),
    expiresAt: iso(r.expiresAt),
    userAgent: r.userAgent,
    country: r.country,
    current: r.id === currentId,
  }));
}

/** The cron sweep's part for sessions: rows past either expiry. Spent refresh hashes go with them (cascade). */
export async function deleteExpiredSessions(db: Db, now: number): Promise<number> {
  const deleted = await db
    .delete(sessions)
    .where(or(lte(sessions.expiresAt, now), lte(sessions.maxExpiresAt, now)))
    .returning({ id: sessions.id });
  return deleted.length;
}
