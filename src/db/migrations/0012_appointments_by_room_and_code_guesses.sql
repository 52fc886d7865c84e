ALTER TABLE `email_codes` ADD `wrong_guesses` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `appointments_room` ON `appointments` (`room_id`);