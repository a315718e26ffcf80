import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { identities, type UserRow, users } from "../db/schema";

/** The user as the API shows it: never the password hash. */
export interface PublicUser {
  id: string;
  phone: string | null;
  nickname: string | null;
  avatarUrl: string | null;
  hasPassword: boolean;
  createdAt: string;
}

export function toPublicUser(row: UserRow, phone: string | null): PublicUser {
  return {
    id: row.id,
    phone,
    nickname: row.nickname,
    avatarUrl: row.avatarUrl,
    hasPassword: row.passwordHash !== null,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/** The phone identity that is `phone`. */
export const phoneIdentityIs = (phone: string) => and(eq(identities.provider, "phone"), eq(identities.identifier, phone));

/** Joins a user row to its phone identity (if it has one): the `phone` every answer shows. */
export const phoneIdentityOfUser = and(eq(identities.userId, users.id), eq(identities.provider, "phone"));

export interface UserWithPhone {
  user: UserRow;
  phone: string | null;
}

export async function findUserByPhone(db: Db, phone: string): Promise<UserRow | undefined> {
  const rows = await db.select({ user: users }).from(identities).innerJoin(users, eq(users.id, identities.userId)).where(phoneIdentityIs(phone)).limit(1);
  return rows[0]?.user;
}

export async function isPhoneRegistered(db: Db, phone: string): Promise<boolean> {
  const rows = await db.select({ userId: identities.userId }).from(identities).where(phoneIdentityIs(phone)).limit(1);
  return rows.length > 0;
}

export async function findUserById(db: Db, id: string): Promise<UserWithPhone | undefined> {
  const rows = await db
    .select({ user: users, phone: identities.identifier })
    .from(users)
    .leftJoin(identities, phoneIdentityOfUser)
    .where(eq(users.id, id))
    .limit(1);
  return rows[0];
}

export interface NewUser {
  phone: string;
  nickname?: string | null;
  passwordHash?: string | null;
}

/**
 * The statements that create a user and its phone identity. Callers run them in one `db.batch()`
 * (D1 has no BEGIN, so no drizzle transaction; a batch is atomic): if the phone is taken, the
 * identity insert fails on its primary key and the user row is rolled back with it.
 */
export function createUserStatements(db: Db, input: NewUser, now = Date.now()) {
  const id = crypto.randomUUID();
  const row: UserRow = {
    id,
    nickname: input.nickname ?? null,
    avatarUrl: null,
    passwordHash: input.passwordHash ?? null,
    createdAt: now,
    updatedAt: now,
    bannedAt: null,
    banReason: null,
  };
  return {
    row,
    statements: [
      db.insert(users).values(row),
      db.insert(identities).values({ provider: "phone", identifier: input.phone, userId: id, createdAt: now }),
    ] as const,
  };
}

/** D1 reports a broken unique or primary-key constraint in the message; there is no error code. */
export function isUniqueViolation(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${error.cause instanceof Error ? error.cause.message : ""}` : String(error);
  return /UNIQUE constraint failed|PRIMARY KEY constraint failed|SQLITE_CONSTRAINT/i.test(text);
}
