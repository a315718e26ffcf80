-- Issue 14: operators' admin API. Hand-written (no drizzle-kit generate); src/db/schema.ts matches it.

-- A banned user: set by POST /v1/admin/users/{id}/ban, cleared by /unban. Sign-ins and Bearer calls
-- of a banned user answer 403 account_disabled.
ALTER TABLE `users` ADD `banned_at` integer;
--> statement-breakpoint
ALTER TABLE `users` ADD `ban_reason` text;
--> statement-breakpoint

-- The audit trail: security-relevant events, written after the answer (waitUntil) by an event sink.
-- Never a code, password or token; the phone only as a keyed hash (lookups) and a mask (reading).
CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`type` text NOT NULL,
	`actor` text,
	`user_id` text,
	`phone_hash` text,
	`phone_mask` text,
	`client` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_events_at` ON `audit_events` (`at`);
--> statement-breakpoint
CREATE INDEX `audit_events_phone` ON `audit_events` (`phone_hash`,`id`);
--> statement-breakpoint
CREATE INDEX `audit_events_user` ON `audit_events` (`user_id`,`id`);
--> statement-breakpoint

-- Counters behind /v1/admin/stats, kept per UTC hour × provider × country so that no figure needs a
-- scan of the trail. `verified` is attributed to the provider that carried the code.
CREATE TABLE `stats_hourly` (
	`hour` integer NOT NULL,
	`provider` text NOT NULL,
	`country` text NOT NULL,
	`sent` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`verified` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`hour`, `provider`, `country`)
);
--> statement-breakpoint

-- Sends and verifications per UTC day × number range: the lowest-converting ranges of /stats.
CREATE TABLE `stats_ranges` (
	`day` text NOT NULL,
	`range` text NOT NULL,
	`sent` integer DEFAULT 0 NOT NULL,
	`verified` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `range`)
);
--> statement-breakpoint

-- The index of blocked number ranges: each block lives in its range's Durable Object (the
-- authority), this row only lets GET /v1/admin/ranges/blocked find them without visiting every object.
CREATE TABLE `blocked_ranges` (
	`range` text PRIMARY KEY NOT NULL,
	`blocked_at` integer NOT NULL,
	`blocked_until` integer NOT NULL,
	`reason` text NOT NULL
);
