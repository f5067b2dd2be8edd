import { and, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Database } from './client';
import type { accountEmails, deletedTenants, recoveryCodes, securityLog, sessions, stripeEvents, tenants, users, userTokens } from './schema';

/** The tables that belong to no tenant: accounts (and their sessions, tokens, codes, log, emails), the tenant registry, Stripe's events, deleted tenants' records. */
export type GlobalTable =
  | typeof users
  | typeof sessions
  | typeof userTokens
  | typeof recoveryCodes
  | typeof securityLog
  | typeof accountEmails
  | typeof tenants
  | typeof stripeEvents
  | typeof deletedTenants;

/** One statement of a D1 batch, from either door. */
export type BatchStatement = BatchItem<'sqlite'>;

/**
 * The door to the global tables (`ctx.global`). It takes only those tables,
 * so tenant data cannot be reached through it: that goes through a
 * `TenantContext`'s `db`, or a named read in db/cross-tenant.ts.
 */
export class GlobalDb {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  select<T extends GlobalTable>(table: T, ...conditions: (SQL | undefined)[]) {
    return this.#db.select().from(table).where(and(...conditions)).$dynamic();
  }

  async first<T extends GlobalTable>(table: T, ...conditions: (SQL | undefined)[]) {
    const rows = await this.select(table, ...conditions).limit(1);
    return rows[0];
  }

  insert<T extends GlobalTable>(table: T) {
    return this.#db.insert(table);
  }

  update<T extends GlobalTable>(table: T) {
    return this.#db.update(table);
  }

  delete<T extends GlobalTable>(table: T) {
    return this.#db.delete(table);
  }

  /** Runs statements (from this door and a tenant's) in one D1 batch: all of them, or none. */
  batch<U extends BatchStatement, T extends Readonly<[U, ...U[]]>>(statements: T) {
    return this.#db.batch(statements);
  }
}
