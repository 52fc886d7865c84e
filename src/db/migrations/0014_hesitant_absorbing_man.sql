CREATE TABLE `client_note_versions` (
	`note_id` text NOT NULL,
	`version` integer NOT NULL,
	`author_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`body` blob NOT NULL,
	FOREIGN KEY (`note_id`) REFERENCES `client_notes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `client_note_versions_pk` ON `client_note_versions` (`note_id`,`version`);--> statement-breakpoint
CREATE TABLE `client_notes` (
	`id` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`author_id` text NOT NULL,
	`appointment_id` text,
	`addendum_to` text,
	`created_at` integer NOT NULL,
	`finalised_at` integer,
	`draft` blob,
	`draft_at` integer,
	FOREIGN KEY (`client_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`author_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`appointment_id`) REFERENCES `appointments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `client_notes_client` ON `client_notes` (`client_id`,`created_at`);