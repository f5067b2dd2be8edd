import { auditEntry } from '../../platform/audit';
import { eq } from 'drizzle-orm';
import { emailUnverified } from '../../platform/auth/middleware';
import { membershipsOfUser } from '../../platform/db/cross-tenant';
import { tenantContext, type ServiceContext, type TenantContext, type TenantRef } from '../../platform/context';
import { isUniqueViolation } from '../../platform/db/errors';
import type { BatchStatement } from '../../platform/db/global-db';
import { memberships, subscriptions, tenants } from '../../platform/db/schema';
import { AppError } from '../../platform/errors';
import { newId } from '../../platform/ids';

const SLUG_ATTEMPTS = 5;

function slugify(name: string): string {
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
 * The statements that create a tenant owned by `ownerId`: the tenant row,
 * then, through the new tenant's own context, the owner's membership, the
 * free subscription and the audit row.
 */
function tenantCreationStatements(ctx: ServiceContext, tenant: TenantRef, ownerId: string): BatchStatement[] {
  const owner = tenantContext(ctx, tenant, { type: 'user', id: ownerId }, 'owner');
  return [
    ctx.global.insert(tenants).values(tenant),
    owner.db.insert(memberships, { userId: ownerId, role: 'owner' }),
    owner.db.insert(subscriptions, { plan: 'free', status: 'none' }),
    auditEntry(owner, 'tenant.created', { type: 'tenant', id: tenant.id }, { name: tenant.name, slug: tenant.slug }),
  ];
}

/**
 * Creates a tenant (and whatever `before` statements must land with it, a
 * sign-up's user row) atomically. The slug is the name's; if taken, a short
 * random suffix is added.
 */
export async function createTenant(ctx: ServiceContext, input: { name: string; ownerId: string }, before: () => BatchStatement[] = () => []): Promise<TenantRef> {
  const base = slugify(input.name);
  for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt++) {
    const tenant = { id: newId('ten'), name: input.name, slug: attempt === 0 ? base : `${base}-${randomSuffix()}` };
    try {
      const statements = [...before(), ...tenantCreationStatements(ctx, tenant, input.ownerId)];
      // Never empty: the tenant's own statements are always there.
      await ctx.global.batch(statements as [BatchStatement, ...BatchStatement[]]);
      return tenant;
    } catch (err) {
      if (!isUniqueViolation(err, 'tenants.slug')) throw err;
    }
  }
  throw new AppError('conflict', 'Could not find a free URL for this organisation name; try another name');
}

/** Renames the tenant; its slug (and so every URL) stays the same. */
export async function renameTenant(ctx: TenantContext, input: { name: string }): Promise<TenantRef> {
  await ctx.db.batch([
    ctx.db.updateTenant({ name: input.name }),
    auditEntry(ctx, 'tenant.renamed', { type: 'tenant', id: ctx.tenant.id }, { from: ctx.tenant.name, to: input.name }),
  ]);
  return { ...ctx.tenant, name: input.name };
}

/** An unproven address may own the organisation it signed up with (or join by invitation), not start more. */
export async function refuseUnverifiedSecondTenant(ctx: ServiceContext, user: { userId: string; emailVerified: boolean }): Promise<void> {
  if (user.emailVerified) return;
  if ((await membershipsOfUser(ctx.env, user.userId)).length > 0) throw emailUnverified();
}

/** PATCH /api/t/:tenant: the name (admins and owners), whether members need 2FA (owners only). */
export async function updateTenant(ctx: TenantContext, input: { name?: string; requireMfa?: boolean }): Promise<TenantRef & { requireMfa?: boolean }> {
  if (input.requireMfa !== undefined && ctx.role !== 'owner') throw new AppError('forbidden', 'Only owners can require two-factor sign-in');
  const renamed = input.name !== undefined ? await renameTenant(ctx, { name: input.name }) : ctx.tenant;
  if (input.requireMfa === undefined) return renamed;
  await ctx.db.batch([
    ctx.db.updateTenant({ requireMfa: input.requireMfa }),
    auditEntry(ctx, 'tenant.mfa_requirement_changed', { type: 'tenant', id: ctx.tenant.id }, { requireMfa: input.requireMfa }),
  ]);
  return { ...renamed, requireMfa: input.requireMfa };
}

/** Whether the organisation requires 2FA of its members (the settings page). */
export async function mfaRequired(ctx: TenantContext): Promise<boolean> {
  const row = await ctx.global.first(tenants, eq(tenants.id, ctx.tenant.id));
  return row?.requireMfa ?? false;
}
