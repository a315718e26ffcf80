-- Sessions for signed access tokens and rotating refresh tokens (issue 12) and bounded sessions
-- (issue 10, item 4). Hand-written (no drizzle-kit): src/db/schema.ts matches it.
--
-- A session is now found by its id (the access token's `sid`) and by the SHA-256 of its current
-- refresh token. Existing sessions are kept: the old bearer token's hash becomes the refresh
-- token's hash, so a client that still holds its old token can exchange it at POST
-- /v1/auth/refresh. Their absolute lifetime is counted from their creation (90 days, the default
-- SESSION_MAX_AGE_SECONDS) and they count as authenticated when they were created.
CREATE TABLE `sessions_v2` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`refresh_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`max_expires_at` integer NOT NULL,
	`authenticated_at` integer NOT NULL,
	`user_agent` text,
	`country` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `sessions_v2` (`id`, `user_id`, `refresh_hash`, `created_at`, `last_seen_at`, `expires_at`, `max_expires_at`, `authenticated_at`)
	SELECT lower(hex(randomblob(16))), `user_id`, `token_hash`, `created_at`, `last_seen_at`, `expires_at`, `created_at` + 7776000000, `created_at` FROM `sessions`;
--> statement-breakpoint
DROP TABLE `sessions`;
--> statement-breakpoint
ALTER TABLE `sessions_v2` RENAME TO `sessions`;
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_refresh_hash` ON `sessions` (`refresh_hash`);
--> statement-breakpoint
CREATE INDEX `sessions_user` ON `sessions` (`user_id`, `created_at`);
--> statement-breakpoint
CREATE INDEX `sessions_expires` ON `sessions` (`expires_at`);
--> statement-breakpoint
-- Every refresh token a session has spent (its hash), so that presenting one again is recognised
-- as reuse (or, within REFRESH_REUSE_GRACE_SECONDS, as a retry). Dies with its session.
CREATE TABLE `spent_refresh_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`spent_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `spent_refresh_tokens_session` ON `spent_refresh_tokens` (`session_id`);
--> statement-breakpoint
CREATE INDEX `spent_refresh_tokens_spent_at` ON `spent_refresh_tokens` (`spent_at`);
