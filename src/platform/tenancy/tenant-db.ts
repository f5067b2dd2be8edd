import { and, count, eq, getTableColumns, is, SQL, sql, type InferInsertModel, type InferSelectModel } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { SQLiteColumn, SQLiteTable, SQLiteUpdateSetSource } from 'drizzle-orm/sqlite-core';
import type { Database } from '../db/client';
import { tenants, users } from '../db/schema';

/**
 * The reads of a tenant-bound handle, all a read batched with who and where
 * may use: its tenant is a subquery there, not an id, so it writes nothing.
 */
export type TenantReads = Pick<TenantDb, 'where' | 'select' | 'selectWithUser' | 'counting'>;

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
    /** The tenant's id, or (for a read batched with who and where, platform/auth/with-resolution.ts) a subquery that finds it. */
    readonly tenantId: string | SQL,
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
    const [row] = await this.counting(table, ...conditions);
    return row?.n ?? 0;
  }

  /** The statement behind `count`, to put in a batch with other reads: one row, `{ n }`. */
  counting(table: TenantTable, ...conditions: Condition[]) {
    return this.#db
      .select({ n: count() })
      .from(table as SQLiteTable)
      .where(this.where(table, ...conditions));
  }

  insert<T extends TenantTable>(table: T, values: Omit<InferInsertModel<T>, 'tenantId'>) {
    // drizzle cannot see that spreading `tenantId` into a generic table's insert model is sound.
    const row = { ...values, tenantId: this.tenantId } as T['$inferInsert'];
    return this.#db.insert(table).values(row);
  }

  /**
   * `INSERT … SELECT … WHERE condition`: the row is written only if the
   * condition holds when the statement runs. Batched after a guarded update,
   * it records exactly the changes that happened (an audit row for a
   * demotion that the last-owner guard refused is never written).
   */
  insertWhere<T extends TenantTable>(table: T, values: Omit<InferInsertModel<T>, 'tenantId'>, condition: SQL) {
    const row: Record<string, unknown> = { ...values, tenantId: this.tenantId };
    // Every insertable column in the table's order, as drizzle's own INSERT … VALUES would list them.
    const selected = Object.entries(getTableColumns(table))
      .filter(([, column]) => column.generated === undefined)
      .map(([key, column]) => {
        const value = row[key];
        if (value !== undefined) return sql`${column.mapToDriverValue(value)}`;
        if (is(column.default, SQL)) return column.default;
        if (column.default !== undefined && column.default !== null) return sql`${column.mapToDriverValue(column.default)}`;
        return sql`NULL`;
      });
    return this.#db.insert(table).select(sql`SELECT ${sql.join(selected, sql`, `)} WHERE ${condition}`);
  }

  /** Rows of a tenant table with the user each names (a membership's member, a key's creator). */
  selectWithUser<T extends TenantTable>(table: T, userColumn: SQLiteColumn, ...conditions: Condition[]) {
    return this.#db
      .select({ row: table, user: { id: users.id, email: users.email, name: users.name } })
      .from(table as SQLiteTable)
      .innerJoin(users, eq(users.id, userColumn))
      .where(this.where(table, ...conditions))
      .$dynamic();
  }

  update<T extends TenantTable>(table: T, set: Omit<SQLiteUpdateSetSource<T>, 'tenantId'>, ...conditions: Condition[]) {
    return this.#db
      .update(table)
      .set(set as SQLiteUpdateSetSource<T>)
      .where(this.where(table, ...conditions));
  }

  /** The tenant's own row (keyed by `id`, not `tenant_id`): renaming it. */
  updateTenant(set: { name?: string; requireMfa?: boolean }) {
    return this.#db.update(tenants).set(set).where(eq(tenants.id, this.tenantId));
  }

  delete(table: TenantTable, ...conditions: Condition[]) {
    return this.#db.delete(table).where(this.where(table, ...conditions));
  }

  /** Runs statements in one D1 batch: all of them, or none. */
  batch<U extends BatchItem<'sqlite'>, T extends Readonly<[U, ...U[]]>>(statements: T) {
    return this.#db.batch(statements);
  }
}
