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
  // Set by an operator (POST /v1/admin/users/{id}/ban): sign-ins and Bearer calls answer 403 account_disabled.
  bannedAt: integer("banned_at"),
  banReason: text("ban_reason"),
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
/**
 * The audit trail (src/audit/): security-relevant events, newest found by the autoincrement id.
 * The phone only as a keyed hash (HMAC with AUTH_SECRET, so an operator can look it up) and a mask;
 * `detail` is a small JSON object, never a code, password or token.
 */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    type: text("type").notNull(),
    actor: text("actor"),
    userId: text("user_id"),
    phoneHash: text("phone_hash"),
    phoneMask: text("phone_mask"),
    client: text("client"),
    detail: text("detail"),
  },
  (t) => [index("audit_events_at").on(t.at), index("audit_events_phone").on(t.phoneHash, t.id), index("audit_events_user").on(t.userId, t.id)],
);

/** Sends, failures and verifications per UTC hour (start, Unix ms) × provider × country: /stats without a scan. */
export const statsHourly = sqliteTable(
  "stats_hourly",
  {
    hour: integer("hour").notNull(),
    provider: text("provider").notNull(),
    country: text("country").notNull(),
    sent: integer("sent").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    verified: integer("verified").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.hour, t.provider, t.country] })],
);

/** Sends and verifications per UTC day (YYYY-MM-DD) × number range. */
export const statsRanges = sqliteTable(
  "stats_ranges",
  {
    day: text("day").notNull(),
    range: text("range").notNull(),
    sent: integer("sent").notNull().default(0),
    verified: integer("verified").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.range] })],
);

/** The index of range blocks (the block itself lives in the range's Durable Object). */
export const blockedRanges = sqliteTable("blocked_ranges", {
  range: text("range").primaryKey(),
  blockedAt: integer("blocked_at").notNull(),
  blockedUntil: integer("blocked_until").notNull(),
  reason: text("reason").notNull(),
});

export type UserRow = typeof users.$inferSelect;
