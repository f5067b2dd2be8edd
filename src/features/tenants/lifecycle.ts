/**
 * A tenant's data leaving: an owner's export (everything, as JSON, without
 * secrets) and deletion (the Stripe subscription canceled first, then every
 * row, with a global record of who deleted it).
 */
import { asc, eq } from 'drizzle-orm';
import { auditEntry } from '../../platform/audit';
import type { TenantContext } from '../../platform/context';
import { apiKeys, auditLog, deletedTenants, invitations, outboxEmails, projects, subscriptions, tenants } from '../../platform/db/schema';
import { errorMessage } from '../../platform/log/logger';
import { loadSubscription } from '../billing/entitlement';
import { stopAllBilling } from '../billing/checkout';
import { whileStripeAnswers } from '../billing/stripe';
import { memberRows, toMemberViews } from '../members/service';
import { seatsFor } from '../seats/client';

const EXPORT_FORMAT_VERSION = 1;

/**
 * Everything the tenant owns, for its owner. Secrets (token and key hashes,
 * invitation links) are left out. Every table and the export's audit row in
 * one batch: one round trip, and one transaction, so the export is a
 * consistent snapshot and is recorded exactly when it was read.
 */
export async function exportTenant(ctx: TenantContext) {
  const [[tenant], [subscription], members, invitationRows, projectRows, keyRows, emailRows, auditRows] = await ctx.db.batch([
    ctx.global.select(tenants, eq(tenants.id, ctx.tenant.id)).limit(1),
    ctx.db.select(subscriptions).limit(1),
    memberRows(ctx.db),
    ctx.db.select(invitations).orderBy(asc(invitations.createdAt)),
    ctx.db.select(projects).orderBy(asc(projects.createdAt)),
    ctx.db.select(apiKeys).orderBy(asc(apiKeys.createdAt)),
    ctx.db.select(outboxEmails).orderBy(asc(outboxEmails.createdAt)),
    ctx.db.select(auditLog).orderBy(asc(auditLog.id)),
    auditEntry(ctx, 'tenant.exported', { type: 'tenant', id: ctx.tenant.id }),
  ]);
  return {
    format: EXPORT_FORMAT_VERSION,
    exportedAt: new Date().toISOString(),
    tenant,
    members: toMemberViews(members),
    invitations: invitationRows.map(({ tokenHash: _secret, ...row }) => row),
    projects: projectRows,
    apiKeys: keyRows.map(({ secretHash: _secret, ...row }) => row),
    subscription: subscription ?? null,
    emails: emailRows.map(({ text: _withLinks, ...row }) => row),
    // Read in the same transaction as the export's own audit row is written, before it.
    auditLog: auditRows,
  };
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
