CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text,
	`details` text DEFAULT '{}' NOT NULL,
	`mac` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `data_keys` (
	`subject` text PRIMARY KEY NOT NULL,
	`kek_id` text NOT NULL,
	`wrapped` blob,
	`created_at` integer NOT NULL,
	`destroyed_at` integer
);
--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `people` (
	`id` text PRIMARY KEY NOT NULL,
	`role` text NOT NULL,
	`email_index` blob NOT NULL,
	`email` blob NOT NULL,
	`name` blob NOT NULL,
	`phone` blob,
	`created_at` integer DEFAULT (unixepoch() * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `people_email_index` ON `people` (`email_index`);