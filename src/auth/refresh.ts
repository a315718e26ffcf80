import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { sessions, spentRefreshTokens } from "../db/schema";
import { publish } from "../events/publish";
import { ApiError } from "../http/errors/api-error";
import { hmac, sha256Hex, toBase64Url } from "../platform/crypto";
import type { RequestScope } from "../platform/scope";
import type { NewSession } from "./sessions";
import { findUserById, type PublicUser, toPublicUser } from "./users";

/**
 * Refresh-token rotation, exact under concurrency without a Durable Object: D1 has one writer, so
 * `UPDATE sessions SET refresh_hash = <successor> WHERE refresh_hash = <presented> RETURNING` is a
 * compare-and-set that exactly one of any number of parallel refreshes wins.
 *
 * The successor is not random but HMAC(AUTH_SECRET, presented token): 256 bits nobody can compute
 * without both, and the same every time. That is how a retry within REFRESH_REUSE_GRACE_SECONDS
 * (a client that lost the answer, or 20 tabs refreshing at once) gets the very same successor
 * without it ever being stored in plain text. Every spent token's hash is kept (with its session)
 * so presenting it again after the grace window is recognised as reuse: the session ends.
 */

const successorOf = async (secret: string, token: string) => toBase64Url(await hmac(secret, `refresh|${token}`));

const sqlMin = (ms: number) => sql<number>`min(${ms}, ${sessions.maxExpiresAt})`;
const gtNow = (now: number) => and(gt(sessions.expiresAt, now), gt(sessions.maxExpiresAt, now));
const sqlText = (value: string) => sql<string>`${value}`.as("token_hash");
const sqlInt = (value: number) => sql<number>`${value}`.as("spent_at");

export interface Refreshed {
  session: NewSession;
  user: PublicUser;
}

export async function refreshSession(scope: RequestScope, db: Db, refreshToken: string, now = Date.now()): Promise<Refreshed> {
  const { config } = scope;
  const presented = await sha256Hex(refreshToken);
  const successor = await successorOf(config.AUTH_SECRET, refreshToken);
  const successorHash = await sha256Hex(successor);
  const ttl = config.SESSION_TTL_SECONDS * 1000;

  // One round trip: the compare-and-set, the record of the spent token (only once the session
  // holds its successor: by this batch or by a parallel one), and the session. (Not joined to
  // users here: D1's batch answers rows keyed by column name, so same-named columns collide.)
  const [rotated, , found] = await db.batch([
    db
      .update(sessions)
      .set({ refreshHash: successorHash, lastSeenAt: now, expiresAt: sqlMin(now + ttl) })
      .where(and(eq(sessions.refreshHash, presented), gtNow(now)))
      .returning({ id: sessions.id }),
    db
      .insert(spentRefreshTokens)
      .select(
        db
          .select({ tokenHash: sqlText(presented), sessionId: sessions.id, spentAt: sqlInt(now) })
          .from(sessions)
          .where(eq(sessions.refreshHash, successorHash)),
      )
      .onConflictDoNothing(),
    db
      .select({ session: sessions, spentAt: spentRefreshTokens.spentAt })
      .from(sessions)
      .leftJoin(spentRefreshTokens, eq(spentRefreshTokens.tokenHash, presented))
      .where(eq(sessions.refreshHash, successorHash))
      .limit(1),
  ]);
  const row = found[0];
  const live = row !== undefined && row.session.expiresAt > now && row.session.maxExpiresAt > now;
  const withinGrace = row?.spentAt != null && now - row.spentAt <= config.REFRESH_REUSE_GRACE_SECONDS * 1000;
  if (row && live && (rotated.length > 0 || withinGrace)) {
    const owner = await findUserById(db, row.session.userId);
    if (!owner) throw new ApiError("invalid_refresh_token");
    // Banning ends the sessions; this covers one a sign-in racing the ban created just after.
    if (owner.user.bannedAt !== null) throw new ApiError("account_disabled");
    return { session: { id: row.session.id, refreshToken: successor, expiresAt: row.session.expiresAt }, user: toPublicUser(owner.user, owner.phone) };
  }
  await detectReuse(scope, db, presented, now);
  throw new ApiError("invalid_refresh_token");
}

/**
 * A token that did not rotate: unknown, expired, or spent earlier than the grace window allows.
 * A spent one means two parties hold the session's tokens: the whole session ends.
 */
async function detectReuse(scope: RequestScope, db: Db, presented: string, now: number): Promise<void> {
  const spent = await db
    .select({ sessionId: spentRefreshTokens.sessionId, userId: sessions.userId })
    .from(spentRefreshTokens)
    .innerJoin(sessions, eq(sessions.id, spentRefreshTokens.sessionId))
    .where(eq(spentRefreshTokens.tokenHash, presented))
    .limit(1);
  const hit = spent[0];
  if (hit) {
    await db.delete(sessions).where(eq(sessions.id, hit.sessionId));
    scope.log.event("session.reuse_detected", { sessionId: hit.sessionId });
    publish(scope, { type: "session.reuse_detected", userId: hit.userId, sessionId: hit.sessionId });
    publish(scope, { type: "session.ended", userId: hit.userId, sessionId: hit.sessionId, reason: "reuse_detected" });
    return;
  }
  // An expired session presented with its current token: clear the row now rather than at the sweep.
  scope.defer(
    db
      .delete(sessions)
      .where(and(eq(sessions.refreshHash, presented), lte(sessions.expiresAt, now)))
      .run(),
  );
}

/** The cron sweep's part for spent refresh hashes older than a session's sliding lifetime. */
export async function deleteOldSpentTokens(db: Db, olderThan: number): Promise<number> {
  const deleted = await db.delete(spentRefreshTokens).where(lte(spentRefreshTokens.spentAt, olderThan)).returning({ h: spentRefreshTokens.tokenHash });
  return deleted.length;
}
