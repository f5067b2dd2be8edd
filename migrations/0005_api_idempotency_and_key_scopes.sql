-- migration-safety: global-table idempotency_keys (a key may precede any tenant, as for POST /api/tenants; rows are found by a hash of caller, tenant, route and key, and expire in 24 hours)
CREATE TABLE `idempotency_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`lock_token` text NOT NULL,
	`locked_at` integer NOT NULL,
	`response_status` integer,
	`response` text,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires_idx` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
ALTER TABLE `api_keys` ADD `scopes` text;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `api_keys` ADD `expiry_notice_at` integer;