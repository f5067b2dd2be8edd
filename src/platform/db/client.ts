/**
 * The raw drizzle handle. Only the platform layer and services that own
 * global tables (users, tenants, stripe_events) may import this module; route
 * and page code reaches tenant data through `TenantContext.db` instead
 * (enforced by eslint and by test/node/imports.test.ts).
 */
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';

/**
 * Made per request (each request has its own D1 session), so without the
 * schema: drizzle rebuilds its relational map of every table on each
 * `drizzle(…, { schema })`, a cost on every request (docs/benchmarks/api.md),
 * and nothing here uses the relational `db.query` API that needs it.
 */
export type Database = DrizzleD1Database;

export function database(d1: D1Database): Database {
  return drizzle(d1);
}
