-- migration-safety: global-table deleted_tenants (a record of tenants whose own rows are all gone)
CREATE TABLE `deleted_tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`deleted_by` text NOT NULL,
	`request_id` text NOT NULL,
	`stripe_subscription_id` text,
	`deleted_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
