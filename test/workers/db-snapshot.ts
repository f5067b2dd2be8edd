import { env } from 'cloudflare:workers';

export interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

/** The application's tables (not SQLite's, D1's or the migrations bookkeeping). */
export async function appTables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table'
     AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations' ORDER BY name`,
  ).all<{ name: string }>();
  return results.map((r) => r.name);
}

export async function columns(table: string): Promise<ColumnInfo[]> {
  // D1 refuses pragma_table_info() as a table function but allows the PRAGMA statement.
  const { results } = await env.DB.prepare(`PRAGMA table_info("${table}")`).all<ColumnInfo>();
  return results;
}

/** Every table that has a tenant_id column, read from the migrated database itself. */
export async function tenantTables(): Promise<string[]> {
  const tables: string[] = [];
  for (const table of await appTables()) {
    if ((await columns(table)).some((c) => c.name === 'tenant_id')) tables.push(table);
  }
  return tables;
}

/** All of one tenant's rows, as a comparable string. */
export async function snapshotTenant(tenantId: string): Promise<string> {
  const parts: Record<string, unknown[]> = {};
  for (const table of await tenantTables()) {
    const { results } = await env.DB.prepare(`SELECT * FROM "${table}" WHERE tenant_id = ? ORDER BY rowid`).bind(tenantId).all();
    parts[table] = results;
  }
  const { results: tenant } = await env.DB.prepare('SELECT * FROM tenants WHERE id = ?').bind(tenantId).all();
  parts.tenants = tenant;
  return JSON.stringify(parts);
}

export async function countRows(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM "${table}"`).first<{ n: number }>();
  return row?.n ?? 0;
}

/** `db` with every statement it prepares recorded, in order: the SQL a job or a route really ran, for its query plan. */
export function recordingStatements(db: D1Database): { db: D1Database; statements: string[] } {
  const statements: string[] = [];
  const recording = new Proxy(db, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'prepare') {
        return (sql: string) => {
          statements.push(sql);
          return target.prepare(sql);
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: recording, statements };
}
