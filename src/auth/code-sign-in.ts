import type { Db } from "../db/client";
import type { UserRow } from "../db/schema";
import { randomBytes, sha256Hex, toBase64Url } from "../platform/crypto";
import type { NewSession } from "./sessions";
import { type PublicUser, toPublicUser } from "./users";

/**
 * The SMS login's D1 work in one round trip: the phone's user is found or created and a session
 * is opened for whichever it is, in one atomic batch (D1 runs a batch as one transaction).
 *
 * 1. a user row, only if no phone identity holds the number yet;
 * 2. the phone identity, only if step 1 made the user;
 * 3. the session, for the user the identity now names (new or existing), unless that user is banned;
 * 4. that user, read back.
 *
 * The conditions make every statement a no-op rather than a constraint error when the number is
 * already registered, also by another flow (password registration) between two sign-ins, so there
 * is no retry path. Before: a lookup, then a batch (two round trips for a new user, two for a known one).
 */
const CREATE_USER = `INSERT INTO users (id, nickname, avatar_url, password_hash, created_at, updated_at)
  SELECT ?1, NULL, NULL, NULL, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM identities WHERE provider = 'phone' AND identifier = ?4)`;
const CREATE_IDENTITY = `INSERT INTO identities (provider, identifier, user_id, created_at)
  SELECT 'phone', ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?4)`;
// Never for a banned user: the batch writes no session, and the caller's admit() answers 403.
const CREATE_SESSION = `INSERT INTO sessions (token_hash, user_id, expires_at, created_at, last_seen_at)
  SELECT ?1, i.user_id, ?2, ?3, ?4 FROM identities i JOIN users u ON u.id = i.user_id
  WHERE i.provider = 'phone' AND i.identifier = ?5 AND u.banned_at IS NULL`;
const READ_USER = `SELECT u.id, u.nickname, u.avatar_url, u.password_hash, u.created_at, u.updated_at, u.banned_at, u.ban_reason
  FROM identities i JOIN users u ON u.id = i.user_id WHERE i.provider = 'phone' AND i.identifier = ?1 LIMIT 1`;

interface UserRowSql {
  id: string;
  nickname: string | null;
  avatar_url: string | null;
  password_hash: string | null;
  created_at: number;
  updated_at: number;
  banned_at: number | null;
  ban_reason: string | null;
}

const fromSql = (r: UserRowSql): UserRow => ({
  id: r.id,
  nickname: r.nickname,
  avatarUrl: r.avatar_url,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  bannedAt: r.banned_at,
  banReason: r.ban_reason,
});

export async function findOrCreateUserWithSession(
  db: Db,
  phone: string,
  ttlSeconds: number,
  /** Throws to refuse the user (a ban); then no session was written. */
  admit: (user: UserRow) => void,
  now = Date.now(),
): Promise<{ session: NewSession; user: PublicUser; isNewUser: boolean }> {
  const newId = crypto.randomUUID();
  const token = toBase64Url(randomBytes(32));
  const tokenHash = await sha256Hex(token);
  const expiresAt = now + ttlSeconds * 1000;
  // Raw D1 statements: drizzle's batch does not take INSERT … SELECT … WHERE NOT EXISTS, and
  // these are the hot path's only queries, with fixed text D1 can keep prepared.
  const d1 = db.$client;
  const results = await d1.batch([
    d1.prepare(CREATE_USER).bind(newId, now, now, phone),
    d1.prepare(CREATE_IDENTITY).bind(phone, newId, now, newId),
    d1.prepare(CREATE_SESSION).bind(tokenHash, expiresAt, now, now, phone),
    d1.prepare(READ_USER).bind(phone),
  ]);
  const found = results[3]?.results[0] as UserRowSql | undefined;
  const row = found && fromSql(found);
  // The batch is atomic: the identity exists after it, so this cannot happen short of a schema change.
  if (!row) throw new Error("sign-in batch returned no user");
  admit(row);
  return { session: { token, expiresAt }, user: toPublicUser(row, phone), isNewUser: row.id === newId };
}
