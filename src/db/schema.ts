import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Timestamps are Unix milliseconds: cheap to compare in SQL and exact in JavaScript. */
export const users = sqliteTable("users", {
  // A random UUID, not an autoincrement: ids are shown to clients and must not be guessable.
  id: text("id").primaryKey(),
  nickname: text("nickname"),
  avatarUrl: text("avatar_url"),
  // Self-describing PBKDF2 string (src/passwords.ts); null for users who only ever used codes.
  passwordHash: text("password_hash"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * How a user signs in: the seeds' "login method" table. (provider, identifier) is unique, so a
 * phone belongs to at most one user; provider is `phone` today, with room for `wechat` later.
 */
export const identities = sqliteTable(
  "identities",
  {
    provider: text("provider", { enum: ["phone", "wechat"] }).notNull(),
    identifier: text("identifier").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.identifier] }), uniqueIndex("identities_user_provider").on(t.userId, t.provider)],
);

/** A session row is found by the SHA-256 of its token; the token itself is never stored. */
export const sessions = sqliteTable(
  "sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at").notNull(),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
  },
  (t) => [index("sessions_user").on(t.userId)],
);

export type UserRow = typeof users.$inferSelect;
