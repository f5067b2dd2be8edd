/**
 * A tenant's data leaving: an owner's export (everything, as JSON, without
 * secrets) and deletion (the Stripe subscription canceled first, then every
 * row, with a global record of who deleted it).
 */
import { asc, eq } from 'drizzle-orm';
import { auditEntry } from '../../platform/audit';
import type { TenantContext } from '../../platform/context';
import { apiKeys, auditLog, deletedTenants, invitations, outboxEmails, projects, tenants } from '../../platform/db/schema';
import { errorMessage } from '../../platform/log/logger';
import { loadSubscription } from '../billing/entitlement';
import { stopAllBilling } from '../billing/checkout';
import { whileStripeAnswers } from '../billing/stripe';
import { listMembers } from '../members/service';
import { seatsFor } from '../seats/client';

const EXPORT_FORMAT_VERSION = 1;

/** Everything the tenant owns, for its owner. Secrets (token and key hashes, invitation links) are left out. */
export async function exportTenant(ctx: TenantContext) {
  const tenant = await ctx.global.first(tenants, eq(tenants.id, ctx.tenant.id));
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

/**
 * Deletes the tenant. Everything its Stripe customer could still be billed
 * for is stopped first, as Stripe sees it (not as D1 does: a payment whose
 * webhook has not landed counts too); a failure stops the deletion, so
 * nobody is billed for a tenant that no longer exists. Then, in one batch,
 * the global record and the tenant row, whose ON DELETE CASCADE removes every
 * tenant row; then the seat object forgets it.
 */
export async function deleteTenant(ctx: TenantContext): Promise<void> {
  const customer = (await loadSubscription(ctx))?.stripeCustomerId;
  let canceled: string[] = [];
  if (customer) canceled = await whileStripeAnswers('the deletion', () => stopAllBilling(ctx, customer));
  await ctx.global.batch([
    ctx.global.insert(deletedTenants).values({
      id: ctx.tenant.id,
      slug: ctx.tenant.slug,
      name: ctx.tenant.name,
      deletedBy: `${ctx.actor.type}:${ctx.actor.id ?? 'system'}`,
      requestId: ctx.requestId,
      stripeSubscriptionIds: canceled.join(',') || null,
    }),
    ctx.global.delete(tenants).where(eq(tenants.id, ctx.tenant.id)),
  ]);
  try {
    await seatsFor(ctx.env, ctx.tenant.id).destroy();
  } catch (err) {
    // Its tenant row is gone, so nothing will ever ask the object again; stale storage is harmless.
    ctx.log.warn('tenant object not cleared', { error: errorMessage(err) });
  }
}
