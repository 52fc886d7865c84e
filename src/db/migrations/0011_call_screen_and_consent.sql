CREATE TABLE `consent_texts` (
	`version` integer PRIMARY KEY NOT NULL,
	`text` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `consents` (
	`person_id` text NOT NULL,
	`version` integer NOT NULL,
	`accepted_at` integer NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`version`) REFERENCES `consent_texts`(`version`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `consents_pk` ON `consents` (`person_id`,`version`);--> statement-breakpoint
ALTER TABLE `people` ADD `hour_cycle` text;--> statement-breakpoint
ALTER TABLE `rooms` ADD `label` blob;