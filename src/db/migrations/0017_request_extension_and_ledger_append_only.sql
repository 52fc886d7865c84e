ALTER TABLE `privacy_requests` ADD `extended_from` integer;--> statement-breakpoint
ALTER TABLE `privacy_requests` ADD `cause` text;--> statement-breakpoint
UPDATE `privacy_requests` SET `extended_from` = (SELECT json_extract(`details`, '$.originalDueAt') FROM `audit_log` WHERE `action` = 'privacy-request.extend' AND json_extract(`details`, '$.request') = `privacy_requests`.`id` ORDER BY `id` LIMIT 1);
--> statement-breakpoint
UPDATE `privacy_requests` SET `cause` = 'consent-withdrawal' WHERE `id` IN (SELECT json_extract(`details`, '$.request') FROM `audit_log` WHERE `action` = 'privacy-request.create' AND json_extract(`details`, '$.cause') = 'consent-withdrawal');
--> statement-breakpoint
CREATE TRIGGER `consent_ledger_no_update` BEFORE UPDATE ON `consent_ledger`
BEGIN
	SELECT RAISE(ABORT, 'consent_ledger is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `consent_ledger_no_delete` BEFORE DELETE ON `consent_ledger`
BEGIN
	SELECT RAISE(ABORT, 'consent_ledger is append-only');
END;
