CREATE TABLE `break_glass_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`staff_id` text NOT NULL,
	`client_id` text NOT NULL,
	`reason` blob NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`reviewed_at` integer,
	`reviewed_by` text,
	`verdict` text,
	FOREIGN KEY (`staff_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`client_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `break_glass_active` ON `break_glass_grants` (`staff_id`,`client_id`,`expires_at`);--> statement-breakpoint
CREATE INDEX `break_glass_review` ON `break_glass_grants` (`reviewed_at`,`created_at`);--> statement-breakpoint
CREATE TABLE `consent_documents` (
	`purpose` text NOT NULL,
	`version` integer NOT NULL,
	`text_en` text NOT NULL,
	`text_ru` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `consent_documents_pk` ON `consent_documents` (`purpose`,`version`);--> statement-breakpoint
CREATE TABLE `consent_ledger` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`person_id` text NOT NULL,
	`purpose` text NOT NULL,
	`version` integer NOT NULL,
	`action` text NOT NULL,
	`method` text NOT NULL,
	`recorded_by` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `consent_ledger_person` ON `consent_ledger` (`person_id`,`purpose`,`id`);--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`title` blob NOT NULL,
	`description` blob NOT NULL,
	`affected` blob NOT NULL,
	`affected_count` integer NOT NULL,
	`occurred_at` integer,
	`discovered_at` integer NOT NULL,
	`authority_notified_at` integer,
	`subjects_notified_at` integer,
	`follow_up_at` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`closed_at` integer
);
--> statement-breakpoint
CREATE INDEX `incidents_discovered` ON `incidents` (`discovered_at`);--> statement-breakpoint
CREATE TABLE `intake_forms` (
	`service_id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`fields` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `intake_responses` (
	`appointment_id` text PRIMARY KEY NOT NULL,
	`client_id` text NOT NULL,
	`form_version` integer NOT NULL,
	`answers` blob NOT NULL,
	`submitted_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`appointment_id`) REFERENCES `appointments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`client_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `intake_responses_client` ON `intake_responses` (`client_id`);--> statement-breakpoint
CREATE TABLE `legal_holds` (
	`id` text PRIMARY KEY NOT NULL,
	`person_id` text NOT NULL,
	`record_type` text NOT NULL,
	`reason` blob NOT NULL,
	`until` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`released_at` integer,
	`released_by` text,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `legal_holds_person` ON `legal_holds` (`person_id`);--> statement-breakpoint
CREATE TABLE `privacy_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`person_id` text NOT NULL,
	`kind` text NOT NULL,
	`law` text NOT NULL,
	`channel` text NOT NULL,
	`received_at` integer NOT NULL,
	`due_at` integer NOT NULL,
	`status` text NOT NULL,
	`note` blob,
	`outcome` blob,
	`created_by` text NOT NULL,
	`closed_at` integer,
	`closed_by` text,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `privacy_requests_open` ON `privacy_requests` (`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `privacy_requests_person` ON `privacy_requests` (`person_id`);--> statement-breakpoint
CREATE TABLE `processing_restrictions` (
	`person_id` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`since` integer NOT NULL,
	`by` text NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `supervisions` (
	`supervisor_id` text NOT NULL,
	`specialist_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	FOREIGN KEY (`supervisor_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`specialist_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `supervisions_pk` ON `supervisions` (`supervisor_id`,`specialist_id`);--> statement-breakpoint
CREATE INDEX `supervisions_specialist` ON `supervisions` (`specialist_id`);--> statement-breakpoint
INSERT INTO `consent_documents` (`purpose`, `version`, `text_en`, `text_ru`, `created_at`, `created_by`) SELECT 'processing', `version`, `text`, `text`, `created_at`, 'migration' FROM `consent_texts`;
--> statement-breakpoint
INSERT INTO `consent_ledger` (`person_id`, `purpose`, `version`, `action`, `method`, `recorded_by`, `at`) SELECT `person_id`, 'processing', `version`, 'given', 'registration', `person_id`, `accepted_at` FROM `consents` ORDER BY `accepted_at`;
