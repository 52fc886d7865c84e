CREATE TABLE `email_codes` (
	`person_id` text PRIMARY KEY NOT NULL,
	`code_hash` blob NOT NULL,
	`purpose` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `accounts` ADD `email_second_factor` integer DEFAULT false NOT NULL;