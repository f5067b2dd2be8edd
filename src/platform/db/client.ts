/**
 * The raw drizzle handle. Only the platform layer and services that own
 * global tables (users, tenants, stripe_events) may import this module; route
 * and page code reaches tenant data through `TenantContext.db` instead
 * (enforced by eslint and by test/node/imports.test.ts).
 */
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';
import * as schema from './schema';

export type Database = DrizzleD1Database<typeof schema>;

export function database(d1: D1Database): Database {
  return drizzle(d1, { schema });
}

export { schema };
