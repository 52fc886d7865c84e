CREATE TABLE `anomaly_alerts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rule` text NOT NULL,
	`subject` text NOT NULL,
	`triggered_at` integer NOT NULL,
	`first_at` integer NOT NULL,
	`last_at` integer NOT NULL,
	`count` integer NOT NULL,
	`action` text,
	`created_at` integer NOT NULL,
	`acknowledged_at` integer,
	`acknowledged_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `anomaly_alerts_window` ON `anomaly_alerts` (`rule`,`subject`,`triggered_at`);--> statement-breakpoint
CREATE INDEX `anomaly_alerts_open` ON `anomaly_alerts` (`acknowledged_at`,`triggered_at`);--> statement-breakpoint
CREATE INDEX `audit_log_at` ON `audit_log` (`at`);