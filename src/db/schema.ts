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

/**
 * A session (migrations/0001_sessions.sql): found by its id (the access token's `sid`) or by the
 * SHA-256 of its current refresh token; no token is stored in plain text. `expires_at` slides with
 * each refresh, never past `max_expires_at` (the absolute lifetime). `authenticated_at` is when the
 * session last proved a factor (sign-in or re-authentication), for the recent-auth check.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    refreshHash: text("refresh_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    maxExpiresAt: integer("max_expires_at").notNull(),
    authenticatedAt: integer("authenticated_at").notNull(),
    userAgent: text("user_agent"),
    country: text("country"),
  },
  (t) => [uniqueIndex("sessions_refresh_hash").on(t.refreshHash), index("sessions_user").on(t.userId, t.createdAt), index("sessions_expires").on(t.expiresAt)],
);

/** The hash of every refresh token a live session has spent: presenting one again is reuse. */
export const spentRefreshTokens = sqliteTable(
  "spent_refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    spentAt: integer("spent_at").notNull(),
  },
  (t) => [index("spent_refresh_tokens_session").on(t.sessionId), index("spent_refresh_tokens_spent_at").on(t.spentAt)],
);

export type SessionRow = typeof sessions.$inferSelect;
export type UserRow = typeof users.$inferSelect;
