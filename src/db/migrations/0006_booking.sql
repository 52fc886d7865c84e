CREATE TABLE `appointments` (
	`id` text PRIMARY KEY NOT NULL,
	`service_id` text NOT NULL,
	`specialist_id` text NOT NULL,
	`client_id` text NOT NULL,
	`start_at` integer NOT NULL,
	`end_at` integer NOT NULL,
	`block_start` integer NOT NULL,
	`block_end` integer NOT NULL,
	`status` text NOT NULL,
	`series_id` text,
	`room_id` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`cancelled_at` integer,
	`cancelled_by` text,
	`cancel_reason` blob,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`specialist_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`client_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`room_id`) REFERENCES `rooms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `appointments_specialist` ON `appointments` (`specialist_id`,`start_at`);--> statement-breakpoint
CREATE INDEX `appointments_client` ON `appointments` (`client_id`,`start_at`);--> statement-breakpoint
CREATE INDEX `appointments_series` ON `appointments` (`series_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `appointments_active_start` ON `appointments` (`specialist_id`,`start_at`) WHERE status = 'booked';--> statement-breakpoint
CREATE TABLE `availability` (
	`specialist_id` text PRIMARY KEY NOT NULL,
	`time_zone` text NOT NULL,
	`weekly` text NOT NULL,
	`exceptions` text DEFAULT '{}' NOT NULL,
	`min_notice_minutes` integer NOT NULL,
	`horizon_days` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`specialist_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `calendar_feeds` (
	`token_hash` blob PRIMARY KEY NOT NULL,
	`person_id` text NOT NULL,
	`token` blob NOT NULL,
	`created_at` integer NOT NULL,
	`last_fetched_at` integer,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `calendar_feeds_person` ON `calendar_feeds` (`person_id`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`subject` text NOT NULL,
	`payload` blob NOT NULL,
	`run_at` integer NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_dedupe_key_unique` ON `jobs` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `jobs_due` ON `jobs` (`status`,`run_at`);--> statement-breakpoint
CREATE TABLE `service_specialists` (
	`service_id` text NOT NULL,
	`specialist_id` text NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`specialist_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_specialists_pk` ON `service_specialists` (`service_id`,`specialist_id`);--> statement-breakpoint
CREATE INDEX `service_specialists_person` ON `service_specialists` (`specialist_id`);--> statement-breakpoint
CREATE TABLE `services` (
	`id` text PRIMARY KEY NOT NULL,
	`name_en` text NOT NULL,
	`name_ru` text NOT NULL,
	`description_en` text DEFAULT '' NOT NULL,
	`description_ru` text DEFAULT '' NOT NULL,
	`duration_minutes` integer NOT NULL,
	`buffer_before_minutes` integer DEFAULT 0 NOT NULL,
	`buffer_after_minutes` integer DEFAULT 0 NOT NULL,
	`mode` text NOT NULL,
	`price_minor` integer,
	`currency` text,
	`cancel_hours` integer DEFAULT 24 NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `people` ADD `time_zone` text;--> statement-breakpoint
ALTER TABLE `people` ADD `locale` text;