/**
 * The database's own rules for tenancy, read from the migrated schema, so a
 * new table or index that forgets them fails here.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { appTables, columns, tenantTables } from './db-snapshot';
import { signUpOwner } from './helpers';

interface IndexInfo {
  name: string;
  origin: string;
}
interface ForeignKey {
  id: number;
  table: string;
  from: string;
  to: string;
  on_delete: string;
}

/** Global tables: everything else must be tenant-scoped. */
const GLOBAL_TABLES = ['account_emails', 'deleted_tenants', 'idempotency_keys', 'recovery_codes', 'security_log', 'sessions', 'stripe_events', 'tenants', 'user_tokens', 'users'];

/**
 * Indexes on tenant tables that do not lead with tenant_id, each a lookup
 * that by nature comes before the tenant is known. Adding one is a decision:
 * say why in schema.ts beside it, and list it here.
 */
const CROSS_TENANT_INDEXES = [
  'api_keys_secret_hash_uq', // a request presents only the key
  'invitations_expires_idx', // retention deletes long-expired invitations across tenants
  'invitations_token_hash_uq', // accepting presents only the token
  'memberships_user_idx', // GET /api/me: a user's tenants
  'outbox_emails_created_idx', // retention deletes old emails across tenants
  'subscriptions_customer_uq', // webhooks name a Stripe customer
  'usage_rollups_cost_idx', // the operator console lists the fleet's tenants by cost
];

async function indexColumns(index: string): Promise<string[]> {
  const { results } = await env.DB.prepare(`PRAGMA index_info("${index}")`).all<{ seqno: number; name: string }>();
  return results.sort((a, b) => a.seqno - b.seqno).map((r) => r.name);
}

async function indexes(table: string): Promise<IndexInfo[]> {
  return (await env.DB.prepare(`PRAGMA index_list("${table}")`).all<IndexInfo>()).results;
}

async function foreignKeys(table: string): Promise<ForeignKey[]> {
  return (await env.DB.prepare(`PRAGMA foreign_key_list("${table}")`).all<ForeignKey>()).results;
}

describe('tenancy in the schema', () => {
  it('every table is either global or tenant-scoped', async () => {
    const scoped = await tenantTables();
    const all = await appTables();
    expect(all.filter((t) => !scoped.includes(t)).sort()).toEqual(GLOBAL_TABLES);
    expect(scoped.length).toBeGreaterThanOrEqual(6);
  });

  it('tenant_id is NOT NULL and references tenants(id) with ON DELETE CASCADE', async () => {
    for (const table of await tenantTables()) {
      const tenantId = (await columns(table)).find((c) => c.name === 'tenant_id');
      expect(tenantId?.notnull || tenantId?.pk, `${table}.tenant_id NOT NULL`).toBeTruthy();
      const fk = (await foreignKeys(table)).find((f) => f.from === 'tenant_id' && f.table === 'tenants');
      expect(fk, `${table}.tenant_id references tenants`).toMatchObject({ to: 'id', on_delete: 'CASCADE' });
    }
  });

  it('every tenant table has an index led by tenant_id, and every other index is a declared exception', async () => {
    const exceptions: string[] = [];
    for (const table of await tenantTables()) {
      const leading = [];
      for (const index of await indexes(table)) {
        const first = (await indexColumns(index.name))[0];
        if (first === 'tenant_id') leading.push(index.name);
        // A primary key on a random global id is identity, not a lookup path:
        // queries reach rows through the (tenant_id, id) unique index instead.
        else if (!(index.origin === 'pk' && first === 'id')) exceptions.push(index.name);
      }
      expect(leading.length, `${table} has an index leading with tenant_id`).toBeGreaterThan(0);
    }
    expect(exceptions.sort()).toEqual(CROSS_TENANT_INDEXES);
  });

  it('a child row whose composite key points at another tenant is rejected by the database', async () => {
    const a = await signUpOwner('Tenant A');
    const b = await signUpOwner('Tenant B');
    const insertKey = (tenantId: string, createdBy: string) =>
      env.DB.prepare(
        `INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, role, created_by) VALUES (?, ?, 'k', 'p', ?, 'member', ?)`,
      )
        .bind(`key_${crypto.randomUUID()}`, tenantId, crypto.randomUUID(), createdBy)
        .run();

    // B's tenant, A's owner as creator: A's owner is not a member of B.
    await expect(insertKey(b.tenant.id, a.user.id)).rejects.toThrow(/FOREIGN KEY constraint failed/);
    // The same row inside the right tenant is accepted, so the refusal above is the tenancy rule.
    await expect(insertKey(a.tenant.id, a.user.id)).resolves.toMatchObject({ success: true });
  });

  it('deleting a tenant leaves none of its rows behind', async () => {
    const a = await signUpOwner('Short-lived');
    await env.DB.prepare('DELETE FROM tenants WHERE id = ?').bind(a.tenant.id).run();
    for (const table of await tenantTables()) {
      const row = await env.DB.prepare(`SELECT count(*) AS n FROM "${table}" WHERE tenant_id = ?`).bind(a.tenant.id).first<{ n: number }>();
      expect(row?.n, table).toBe(0);
    }
  });
});
