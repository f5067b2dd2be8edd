import { database, type Database } from '../../platform/db/client';
import type { Env } from '../../platform/env';
import { isUniqueViolation } from '../../platform/db/errors';
import { auditLog, memberships, subscriptions, tenants, type Tenant } from '../../platform/db/schema';
import { auditEntry } from '../../platform/audit';
import { AppError } from '../../platform/http/errors';
import type { TenantContext } from '../../platform/tenancy/context';
import { newId } from '../../platform/ids';

type BatchStatement = Parameters<Database['batch']>[0][number];

export type TenantSummary = Pick<Tenant, 'id' | 'slug' | 'name'>;

const SLUG_ATTEMPTS = 5;

export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return base || 'team';
}

function randomSuffix(): string {
  return crypto.randomUUID().slice(0, 6);
}

/**
 * The statements that create a tenant owned by `ownerId`: the tenant, the
 * owner's membership, the free subscription and the audit row, for the caller
 * to batch with whatever else must happen atomically (a sign-up's user row).
 */
function tenantCreationStatements(db: Database, tenant: TenantSummary, ownerId: string, requestId: string) {
  return [
    db.insert(tenants).values(tenant),
    db.insert(memberships).values({ tenantId: tenant.id, userId: ownerId, role: 'owner' }),
    db.insert(subscriptions).values({ tenantId: tenant.id, plan: 'free', status: 'none' }),
    db.insert(auditLog).values({
      tenantId: tenant.id,
      actorType: 'user',
      actorId: ownerId,
      action: 'tenant.created',
      targetType: 'tenant',
      targetId: tenant.id,
      metadata: { name: tenant.name, slug: tenant.slug },
      requestId,
    }),
  ] as const;
}

/**
 * Creates a tenant (and whatever `before` statements must land with it)
 * atomically. The slug is the name's; if taken, a short random suffix is added.
 */
export async function createTenant(
  env: Pick<Env, 'DB'>,
  input: { name: string; ownerId: string; requestId: string },
  before: (db: Database) => BatchStatement[] = () => [],
): Promise<TenantSummary> {
  const db = database(env.DB);
  const base = slugify(input.name);
  for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt++) {
    const tenant = { id: newId('ten'), name: input.name, slug: attempt === 0 ? base : `${base}-${randomSuffix()}` };
    try {
      const statements = [...before(db), ...tenantCreationStatements(db, tenant, input.ownerId, input.requestId)];
      // Never empty: the tenant's own statements are always there.
      await db.batch(statements as [BatchStatement, ...BatchStatement[]]);
      return tenant;
    } catch (err) {
      if (!isUniqueViolation(err, 'tenants.slug')) throw err;
    }
  }
  throw new AppError('conflict', 'Could not find a free URL for this tenant name; try another name');
}

/** Renames the tenant; its slug (and so every URL) stays the same. */
export async function renameTenant(ctx: TenantContext, input: { name: string }): Promise<TenantSummary> {
  await ctx.db.batch([
    ctx.db.updateTenant({ name: input.name }),
    auditEntry(ctx, 'tenant.renamed', { type: 'tenant', id: ctx.tenant.id }, { from: ctx.tenant.name, to: input.name }),
  ]);
  return { ...ctx.tenant, name: input.name };
}
