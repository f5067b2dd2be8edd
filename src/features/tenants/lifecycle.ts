/**
 * A tenant's data leaving: an owner's export (everything, as JSON, without
 * secrets) and deletion (the Stripe subscription canceled first, then every
 * row, with a global record of who deleted it).
 */
import { asc, eq } from 'drizzle-orm';
import { auditEntry } from '../../platform/audit';
import { database } from '../../platform/db/client';
import { apiKeys, auditLog, deletedTenants, invitations, outboxEmails, projects, tenants } from '../../platform/db/schema';
import type { Env } from '../../platform/env';
import type { TenantContext } from '../../platform/tenancy/context';
import { loadSubscription } from '../billing/entitlement';
import { stopAllBilling } from '../billing/service';
import { whileStripeAnswers } from '../billing/stripe';
import { listMembers } from '../members/service';
import { seatsFor } from '../seats/client';

export const EXPORT_FORMAT_VERSION = 1;

/** Everything the tenant owns, for its owner. Secrets (token and key hashes, invitation links) are left out. */
export async function exportTenant(ctx: TenantContext, env: Pick<Env, 'DB'>) {
  const [tenant] = await database(env.DB).select().from(tenants).where(eq(tenants.id, ctx.tenant.id));
  const subscription = await loadSubscription(ctx);
  const data = {
    format: EXPORT_FORMAT_VERSION,
    exportedAt: new Date().toISOString(),
    tenant,
    members: await listMembers(ctx),
    invitations: (await ctx.db.select(invitations).orderBy(asc(invitations.createdAt))).map(({ tokenHash: _secret, ...row }) => row),
    projects: await ctx.db.select(projects).orderBy(asc(projects.createdAt)),
    apiKeys: (await ctx.db.select(apiKeys).orderBy(asc(apiKeys.createdAt))).map(({ secretHash: _secret, ...row }) => row),
    subscription: subscription ?? null,
    emails: (await ctx.db.select(outboxEmails).orderBy(asc(outboxEmails.createdAt))).map(({ text: _withLinks, ...row }) => row),
    auditLog: await ctx.db.select(auditLog).orderBy(asc(auditLog.id)),
  };
  await ctx.db.batch([auditEntry(ctx, 'tenant.exported', { type: 'tenant', id: ctx.tenant.id })]);
  return data;
}

type DeleteEnv = Pick<Env, 'DB' | 'TENANT_DO' | 'STRIPE_SECRET_KEY' | 'STRIPE_API_HOST' | 'STRIPE_API_PORT' | 'STRIPE_API_PROTOCOL'>;

/**
 * Deletes the tenant. Everything its Stripe customer could still be billed
 * for is stopped first, as Stripe sees it (not as D1 does: a payment whose
 * webhook has not landed counts too); a failure stops the deletion, so
 * nobody is billed for a tenant that no longer exists. Then, in one batch,
 * the global record and the tenant row, whose ON DELETE CASCADE removes every
 * tenant row; then the seat object forgets it.
 */
export async function deleteTenant(ctx: TenantContext, env: DeleteEnv): Promise<void> {
  const customer = (await loadSubscription(ctx))?.stripeCustomerId;
  let canceled: string[] = [];
  if (customer) canceled = await whileStripeAnswers('the deletion', () => stopAllBilling(env, customer, ctx.requestId));
  const db = database(env.DB);
  await db.batch([
    db.insert(deletedTenants).values({
      id: ctx.tenant.id,
      slug: ctx.tenant.slug,
      name: ctx.tenant.name,
      deletedBy: `${ctx.actor.type}:${ctx.actor.id ?? 'system'}`,
      requestId: ctx.requestId,
      stripeSubscriptionId: canceled.join(',') || null,
    }),
    db.delete(tenants).where(eq(tenants.id, ctx.tenant.id)),
  ]);
  try {
    await seatsFor(env, ctx.tenant.id).destroy();
  } catch (err) {
    // Its tenant row is gone, so nothing will ever ask the object again; stale storage is harmless.
    console.warn(JSON.stringify({ level: 'warn', msg: 'tenant object not cleared', tenantId: ctx.tenant.id, error: String(err) }));
  }
}
