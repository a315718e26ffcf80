import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { identities, sessions, type UserRow, users } from "../db/schema";
import { randomBytes, sha256Hex, toBase64Url } from "../platform/crypto";
import { phoneIdentityOfUser } from "./users";

/**
 * Sessions after Lucia's guide: the client holds a random opaque token (256 bits); D1 holds only
 * its SHA-256, so a read of the table yields nothing usable. Expiry slides: a session used within
 * its lifetime is extended, but at most once an hour so that reads stay reads.
 */
const REFRESH_AFTER_MS = 3600_000;

export interface SessionUser {
  tokenHash: string;
  user: UserRow;
  phone: string | null;
  expiresAt: number;
}

export interface NewSession {
  token: string;
  expiresAt: number;
}

/** A new token and the insert that stores its hash, for use on its own or inside a db.batch(). */
export async function newSession(db: Db, userId: string, ttlSeconds: number, now = Date.now()) {
  const token = toBase64Url(randomBytes(32));
  const expiresAt = now + ttlSeconds * 1000;
  const insert = db.insert(sessions).values({ tokenHash: await sha256Hex(token), userId, expiresAt, createdAt: now, lastSeenAt: now });
  return { session: { token, expiresAt } satisfies NewSession, insert };
}

export async function createSession(db: Db, userId: string, ttlSeconds: number): Promise<NewSession> {
  const { session, insert } = await newSession(db, userId, ttlSeconds);
  await insert;
  return session;
}

/**
 * The session and user for a bearer token, or undefined. Looked up by the token's hash (the
 * primary key), so no token comparison happens in JavaScript at all.
 */
export async function validateSession(
  db: Db,
  token: string,
  ttlSeconds: number,
  background: (work: Promise<unknown>) => void,
): Promise<SessionUser | undefined> {
  const tokenHash = await sha256Hex(token);
  const rows = await db
    .select({ session: sessions, user: users, phone: identities.identifier })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(identities, phoneIdentityOfUser)
    .where(eq(sessions.tokenHash, tokenHash))
    .limit(1);
  const row = rows[0];
  if (!row) return undefined;
  const now = Date.now();
  if (row.session.expiresAt <= now) {
    background(db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).run());
    return undefined;
  }
  let expiresAt = row.session.expiresAt;
  if (now - row.session.lastSeenAt >= REFRESH_AFTER_MS) {
    expiresAt = now + ttlSeconds * 1000;
    background(db.update(sessions).set({ expiresAt, lastSeenAt: now }).where(eq(sessions.tokenHash, tokenHash)).run());
  }
  return { tokenHash, user: row.user, phone: row.phone, expiresAt };
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

export function deleteUserSessions(db: Db, userId: string) {
  return db.delete(sessions).where(eq(sessions.userId, userId));
}
