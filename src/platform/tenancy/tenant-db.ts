import { and, count, eq, type InferInsertModel, type InferSelectModel, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { SQLiteColumn, SQLiteTable, SQLiteUpdateSetSource } from 'drizzle-orm/sqlite-core';
import type { Database } from '../db/client';

/** A table with a `tenant_id` column: everything this handle will touch. */
export type TenantTable = SQLiteTable & { tenantId: SQLiteColumn };

type Condition = SQL | undefined;

/**
 * Tenant-bound data access. Every statement it builds carries
 * `tenant_id = <this tenant>`, and inserts have the tenant id filled in, so a
 * service cannot forget the scope or smuggle in another tenant's id.
 */
export class TenantDb {
  readonly #db: Database;

  constructor(
    db: Database,
    readonly tenantId: string,
  ) {
    this.#db = db;
  }

  /** `tenant_id = ?` for `table`, and-ed with `conditions`. */
  where(table: TenantTable, ...conditions: Condition[]): SQL {
    // `and` returns undefined only when given no conditions; we always give one.
    return and(eq(table.tenantId, this.tenantId), ...conditions) as SQL;
  }

  select<T extends TenantTable>(table: T, ...conditions: Condition[]) {
    return this.#db.select().from(table).where(this.where(table, ...conditions)).$dynamic();
  }

  async first<T extends TenantTable>(table: T, ...conditions: Condition[]): Promise<InferSelectModel<T> | undefined> {
    const rows = await this.select(table, ...conditions).limit(1);
    return rows[0];
  }

  async count(table: TenantTable, ...conditions: Condition[]): Promise<number> {
    const [row] = await this.#db
      .select({ n: count() })
      .from(table as SQLiteTable)
      .where(this.where(table, ...conditions));
    return row?.n ?? 0;
  }

  insert<T extends TenantTable>(table: T, values: Omit<InferInsertModel<T>, 'tenantId'>) {
    // drizzle cannot see that spreading `tenantId` into a generic table's insert model is sound.
    const row = { ...values, tenantId: this.tenantId } as T['$inferInsert'];
    return this.#db.insert(table).values(row);
  }

  update<T extends TenantTable>(table: T, set: Omit<SQLiteUpdateSetSource<T>, 'tenantId'>, ...conditions: Condition[]) {
    return this.#db
      .update(table)
      .set(set as SQLiteUpdateSetSource<T>)
      .where(this.where(table, ...conditions));
  }

  delete(table: TenantTable, ...conditions: Condition[]) {
    return this.#db.delete(table).where(this.where(table, ...conditions));
  }

  /** Runs statements in one D1 batch: all of them, or none. */
  batch<U extends BatchItem<'sqlite'>, T extends Readonly<[U, ...U[]]>>(statements: T) {
    return this.#db.batch(statements);
  }
}
