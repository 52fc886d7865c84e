DROP TABLE `consents`;--> statement-breakpoint
DROP TABLE `consent_texts`;
