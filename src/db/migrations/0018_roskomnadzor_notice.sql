ALTER TABLE `incidents` ADD `roskomnadzor_notified_at` integer;--> statement-breakpoint
UPDATE `incidents` SET `roskomnadzor_notified_at` = `authority_notified_at`;
