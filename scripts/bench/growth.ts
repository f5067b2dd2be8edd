/**
 * `--tenants N`: grows the tables the way N signed-up tenants would (an
 * owner, the owner's membership, a free subscription row, three projects and
 * the tenant.created audit row each), written straight into the local D1 in
 * SQL: signing up 100,000 tenants through the API would take hours of PBKDF2.
 * The benchmark then measures the tenant reads again, to show whether they
 * stay flat as the tables grow.
 */
import type { Miniflare } from 'miniflare';

const CHUNK = 10_000;

/** Each statement inserts rows for the tenants numbered ?1 to ?2. */
const NUMBERS = 'WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)';
const STATEMENTS = [
  `INSERT INTO users (id, email, name, password_hash) ${NUMBERS} SELECT 'usr_seed_' || i, 'seed-' || i || '@bench.test', 'Seed owner ' || i, 'seeded:no-sign-in' FROM n`,
  `INSERT INTO tenants (id, slug, name) ${NUMBERS} SELECT 'ten_seed_' || i, 'seed-' || i, 'Seed ' || i FROM n`,
  `INSERT INTO memberships (tenant_id, user_id, role) ${NUMBERS} SELECT 'ten_seed_' || i, 'usr_seed_' || i, 'owner' FROM n`,
  `INSERT INTO subscriptions (tenant_id, plan, status) ${NUMBERS} SELECT 'ten_seed_' || i, 'free', 'none' FROM n`,
  `INSERT INTO projects (id, tenant_id, name) ${NUMBERS}, k(j) AS (VALUES (1), (2), (3)) SELECT 'prj_seed_' || i || '_' || j, 'ten_seed_' || i, 'Project ' || j FROM n, k`,
  `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id) ${NUMBERS} SELECT 'ten_seed_' || i, 'user', 'usr_seed_' || i, 'tenant.created', 'tenant', 'ten_seed_' || i FROM n`,
];

/** Inserts `count` tenants in chunks (one D1 batch, so one transaction, each); resolves with the tables' row counts. */
export async function seedTenants(mf: Miniflare, count: number, progress: (done: number) => void): Promise<Record<string, number>> {
  const db = await mf.getD1Database('DB', 'app');
  for (let first = 1; first <= count; first += CHUNK) {
    const last = Math.min(count, first + CHUNK - 1);
    await db.batch(STATEMENTS.map((sql) => db.prepare(sql).bind(first, last)));
    progress(last);
  }
  const counts: Record<string, number> = {};
  for (const table of ['tenants', 'users', 'memberships', 'projects', 'audit_log']) {
    const row = await db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
    counts[table] = row?.n ?? 0;
  }
  return counts;
}
