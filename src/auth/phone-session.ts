import { type Column, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type PreparedQuery, prepareQuery, runBatch } from "../db/batch";
import type { Db } from "../db/client";
import { identities, type SessionRow, sessions, type UserRow, users } from "../db/schema";
import type { RequestScope } from "../platform/scope";
import { type NewSession, newSessionFields, reportTrimmed, trimSessions } from "./sessions";

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
 * inserts the session for the phone's user unless banned (the insert reads the user back in its
 * RETURNING clause), runs `withUser`'s statements and trims the user's sessions to the cap. Looking
 * the user up first would cost a second round trip on every sign-in (docs/benchmark.md); since the
 * batch decides with conditions inside it, a registration racing it for the same phone can neither
 * fail it nor make a second user.
 *
 * `started: false` when the batch started no session: the batch makes the phone's user if there
 * is none, so the only reason left is that the user was banned when the batch ran; the caller refuses.
 */
export async function startPhoneSession(
  scope: RequestScope,
  db: Db,
  phone: string,
  withUser: WithUser = () => [],
  now = Date.now(),
): Promise<{ started: true; user: UserRow; isNewUser: boolean; session: NewSession } | { started: false }> {
  const fields = await newSessionFields(scope, now);
  const newUserId = crypto.randomUUID();
  const batch = compiledBatch(db);
  const extra = withUser(batch.signingIn).map(prepareQuery);
  const values: Record<Slot, unknown> = {
    phone,
    newUserId,
    now,
    sessionId: fields.id,
    refreshHash: fields.refreshHash,
    expiresAt: fields.expiresAt,
    maxExpiresAt: fields.maxExpiresAt,
    userAgent: fields.userAgent,
    country: fields.country,
    cap: scope.config.SESSIONS_PER_USER,
  };
  const results = await runBatch(scope.env.DB, [...batch.before, ...extra, ...batch.after], values);
  const started = (results[batch.before.length - 1] as StartedFor[])[0];
  if (!started) return { started: false };
  // The insert's WHERE admits only a user who is not banned: the ban columns are null.
  const user: UserRow = { ...started, bannedAt: null, banReason: null };
  reportTrimmed(scope, user.id, results.at(-1) as Pick<SessionRow, "id" | "expiresAt" | "maxExpiresAt">[], now);
  return { started: true, user, isNewUser: user.id === newUserId, session: { id: fields.id, refreshToken: fields.refreshToken, expiresAt: fields.expiresAt } };
}

/** What the session insert's RETURNING reads back: the user it started the session for. */
type StartedFor = Omit<UserRow, "bannedAt" | "banReason">;

/** Where each sign-in's values go in the compiled statements (sql.placeholder names). */
type Slot = "phone" | "newUserId" | "now" | "sessionId" | "refreshHash" | "expiresAt" | "maxExpiresAt" | "userAgent" | "country" | "cap";
const slot = (name: Slot) => sql.placeholder(name);

/** A column of the user the inserted session belongs to, for the insert's RETURNING clause. */
const userColumn = <T>(column: Column) => sql<T>`(SELECT ${column} FROM ${users} WHERE ${users.id} = ${sessions.userId})`;

interface CompiledBatch {
  signingIn: SigningIn;
  /** Before `withUser`'s statements: the user, its phone identity, the session. */
  before: PreparedQuery[];
  /** After them: the trim to the cap. */
  after: PreparedQuery[];
}

// One per drizzle instance (one per D1 binding, src/http/context.ts): built at the first sign-in.
const compiled = new WeakMap<Db, CompiledBatch>();

/** The sign-in's statements, built once with placeholders (src/db/batch.ts says why). */
function compiledBatch(db: Db): CompiledBatch {
  let batch = compiled.get(db);
  if (batch) return batch;
  const phoneIdentity = sql`${identities.provider} = 'phone' AND ${identities.identifier} = ${slot("phone")}`;
  const signingIn: SigningIn = {
    userId: sql`(SELECT ${identities.userId} FROM ${identities} WHERE ${phoneIdentity})`,
    started: sql`EXISTS (SELECT 1 FROM ${sessions} WHERE ${sessions.id} = ${slot("sessionId")})`,
  };
  const now = slot("now");
  // INSERT … SELECT (drizzle's insert().select()): the SELECT lists every column in the table's order.
  const before: BatchItem<"sqlite">[] = [
    db
      .insert(users)
      .select(
        sql`SELECT ${slot("newUserId")}, NULL, NULL, NULL, ${now}, ${now}, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM ${identities} WHERE ${phoneIdentity})`,
      ),
    db
      .insert(identities)
      .select(
        sql`SELECT 'phone', ${slot("phone")}, ${slot("newUserId")}, ${now} WHERE EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${slot("newUserId")})`,
      ),
    db
      .insert(sessions)
      .select(
        sql`SELECT ${slot("sessionId")}, ${users.id}, ${slot("refreshHash")}, ${now}, ${now}, ${slot("expiresAt")}, ${slot("maxExpiresAt")}, ${now}, ${slot("userAgent")}, ${slot("country")}
            FROM ${identities} INNER JOIN ${users} ON ${users.id} = ${identities.userId}
            WHERE ${phoneIdentity} AND ${users.bannedAt} IS NULL`,
      )
      // The user read back by the insert itself rather than by a statement of its own: one fewer
      // for D1 to run on every sign-in. No row: no session was started (the user is banned).
      .returning({
        id: sessions.userId,
        nickname: userColumn<string | null>(users.nickname),
        avatarUrl: userColumn<string | null>(users.avatarUrl),
        passwordHash: userColumn<string | null>(users.passwordHash),
        createdAt: userColumn<number>(users.createdAt),
        updatedAt: userColumn<number>(users.updatedAt),
      }),
  ];
  const after: BatchItem<"sqlite">[] = [trimSessions(db, slot("cap"), signingIn.userId, slot("sessionId"), now, signingIn.started)];
  batch = { signingIn, before: before.map(prepareQuery), after: after.map(prepareQuery) };
  compiled.set(db, batch);
  return batch;
}
