ALTER TABLE `outbox_emails` ADD `claimed_at` integer;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `stripe_read_at` integer;--> statement-breakpoint
ALTER TABLE `subscriptions` ADD `reconciled_at` integer;