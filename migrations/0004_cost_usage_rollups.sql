CREATE TABLE `usage_rollups` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`window_from` text NOT NULL,
	`rolled_up_at` integer NOT NULL,
	`requests` integer NOT NULL,
	`d1_rows_read` integer NOT NULL,
	`d1_rows_written` integer NOT NULL,
	`do_calls` integer NOT NULL,
	`queue_messages` integer NOT NULL,
	`emails` integer NOT NULL,
	`cost_usd` real NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `usage_rollups_cost_idx` ON `usage_rollups` (`cost_usd`);