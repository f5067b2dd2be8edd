/**
 * Stripe → D1 → the tenant's object. Webhooks arrive late, twice and out of
 * order, so nothing here trusts an event's payload: it fetches the
 * subscription as Stripe has it now and writes that. Running it again, or in
 * any order, ends in Stripe's true state.
 */
import { sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { auditEntryIf } from '../../../platform/audit';
import { systemContext, type ServiceContext, type TenantContext } from '../../../platform/context';
import { tenantOfStripeCustomer, wasDeleted } from '../../../platform/db/cross-tenant';
import { subscriptions, type Plan } from '../../../platform/db/schema';
import type { Env } from '../../../platform/env';
import { seatsFor } from '../../seats/client';
import { entitlementOf } from '../entitlement';
import { MAX_SEATS } from '../inputs';
import { statusPolicy } from '../plans';
import { idOf, stripeClient } from '../stripe';

/** A subscription that can never be applied (no tenant, unknown price): retrying will not help. */
export class PermanentSyncError extends Error {
  override name = 'PermanentSyncError';
}

/** Reads of the stored row before a sync gives up to a later retry: overlapping writers are rare and few. */
const WRITE_ATTEMPTS = 3;

export type SyncOutcome =
  | { kind: 'applied'; tenantId: string; changed: boolean; plan: Plan; status: string; seats: number | null }
  | { kind: 'ignored'; tenantId: string; reason: string };

function grantsAccess(status: string): boolean {
  return statusPolicy(status) !== 'free';
}

function planOf(env: Env, price: Stripe.Price): Plan {
  if (price.id === env.STRIPE_PRICE_PRO) return 'pro';
  if (price.id === env.STRIPE_PRICE_ENTERPRISE) return 'enterprise';
  const fromMetadata = price.metadata?.plan;
  if (fromMetadata === 'pro' || fromMetadata === 'enterprise') return fromMetadata;
  throw new PermanentSyncError(`price ${price.id} is not one of our plans`);
}

/**
 * The tenant a subscription belongs to: the one whose Stripe customer it
 * bills. Its metadata is only a claim (any subscription on the account can
 * carry `tenant_id: V`), so it never binds a tenant: checkout stores the
 * tenant's customer before Stripe sees a session, so every subscription of
 * ours names a customer we know. A deleted tenant has no customer row left;
 * the metadata may only name it so that its subscription is stopped.
 */
async function tenantIdFor(env: Env, subscription: Stripe.Subscription): Promise<{ tenantId: string; known: boolean }> {
  const customerId = idOf(subscription.customer);
  const tenantId = customerId ? await tenantOfStripeCustomer(env, customerId) : undefined;
  if (tenantId) return { tenantId, known: true };
  const claimed = subscription.metadata?.tenant_id;
  if (claimed && (await wasDeleted(env, claimed))) return { tenantId: claimed, known: false };
  throw new PermanentSyncError(`subscription ${subscription.id} bills customer ${customerId}, which is no tenant's (its metadata.tenant_id ${claimed ?? 'none'} is not trusted)`);
}

/**
 * Stripe's seat quantity, capped at what the product sells: the portal (or
 * the dashboard) can set any number, and the app never grants more than a
 * self-serve subscription may have. Over-use (fewer seats than holders) is
 * kept, shown on the billing page and in ops, and refuses new holders.
 */
function cappedQuantity(plan: Plan, quantity: number | null | undefined): number | null {
  if (quantity === null || quantity === undefined) return null;
  return plan === 'pro' ? Math.min(quantity, MAX_SEATS) : quantity;
}

/** A deleted tenant's subscription must stop billing, whatever order the news arrives in. */
async function cancelForDeletedTenant(env: Env, subscription: Stripe.Subscription): Promise<string> {
  if (!grantsAccess(subscription.status) && subscription.status !== 'incomplete') return 'the tenant was deleted';
  await stripeClient(env).subscriptions.cancel(subscription.id, {}, { idempotencyKey: `deleted-tenant:${subscription.id}` });
  return 'the tenant was deleted; its subscription was canceled';
}

export async function syncSubscriptionFromStripe(base: ServiceContext, subscriptionId: string): Promise<SyncOutcome> {
  const { env } = base;
  // When this read began: a write based on an older read never overwrites a newer one.
  const readAt = Date.now();
  const subscription = await stripeClient(env).subscriptions.retrieve(subscriptionId);
  const { tenantId, known } = await tenantIdFor(env, subscription);
  if (!known) return { kind: 'ignored', tenantId, reason: await cancelForDeletedTenant(env, subscription) };
  const ctx = await systemContext(base, tenantId);
  if (!ctx) {
    if (await wasDeleted(env, tenantId)) return { kind: 'ignored', tenantId, reason: await cancelForDeletedTenant(env, subscription) };
    throw new PermanentSyncError(`tenant ${tenantId} of subscription ${subscription.id} does not exist`);
  }
  // Overlapping syncs (the cron twice at once, the cron and the consumer) each write only over the
  // row they read, else read it again: a change is audited once, from the state it replaced.
  for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
    const outcome = await writeOverStored(env, ctx, subscription, readAt);
    if (outcome) return outcome;
  }
  // Transient: the queue retries the event, the next cron the tenant.
  throw new Error(`subscription ${subscription.id} kept changing while it was being synced`);
}

/** Writes Stripe's state over the stored row, if that row is still the one read here; null when it changed meanwhile. */
async function writeOverStored(env: Env, ctx: TenantContext, subscription: Stripe.Subscription, readAt: number): Promise<SyncOutcome | null> {
  const tenantId = ctx.tenant.id;
  const stored = await ctx.db.first(subscriptions);
  // An old subscription's late news must not overwrite the one the tenant pays for now.
  if (stored?.stripeSubscriptionId && stored.stripeSubscriptionId !== subscription.id && grantsAccess(stored.status) && !grantsAccess(subscription.status)) {
    return { kind: 'ignored', tenantId, reason: `tenant is on ${stored.stripeSubscriptionId}; ${subscription.id} is ${subscription.status}` };
  }

  const item = subscription.items.data[0];
  if (!item) throw new PermanentSyncError(`subscription ${subscription.id} has no items`);
  const plan = planOf(env, item.price);
  const metadataSeats = Number(subscription.metadata?.seats);
  const now = Date.now();
  const next = {
    plan,
    status: subscription.status,
    stripeCustomerId: idOf(subscription.customer),
    stripeSubscriptionId: subscription.id,
    seatQuantity: cappedQuantity(plan, item.quantity),
    // Enterprise seats are set by sales in the subscription's metadata, never by the buyer.
    seatLimitOverride: plan === 'enterprise' && Number.isInteger(metadataSeats) && metadataSeats > 0 ? metadataSeats : null,
    currentPeriodEnd: item.current_period_end ? item.current_period_end * 1000 : null,
    pastDueSince: subscription.status === 'past_due' ? (stored?.status === 'past_due' ? stored.pastDueSince : now) : null,
  };
  const changed = !stored || (Object.keys(next) as (keyof typeof next)[]).some((key) => stored[key] !== next[key]);

  const noNewerRead = sql`(${subscriptions.stripeReadAt} IS NULL OR ${subscriptions.stripeReadAt} <= ${readAt})`;
  // Every writer of the row moves updated_at or stripe_read_at.
  const unchangedSinceRead = stored ? sql`${subscriptions.updatedAt} = ${stored.updatedAt} AND ${subscriptions.stripeReadAt} IS ${stored.stripeReadAt}` : sql`0 = 1`;
  const [, written] = await ctx.db.batch([
    // First, on the same conditions as the update below: audited exactly when the update applies.
    auditEntryIf(
      ctx,
      sql`${changed ? 1 : 0} = 1 AND EXISTS (SELECT 1 FROM ${subscriptions} WHERE ${subscriptions.tenantId} = ${tenantId} AND ${noNewerRead} AND ${unchangedSinceRead})`,
      'subscription.updated',
      { type: 'subscription', id: subscription.id },
      {
        from: stored ? { plan: stored.plan, status: stored.status, seats: stored.seatQuantity } : null,
        to: { plan, status: subscription.status, seats: next.seatQuantity },
        ...(next.seatQuantity !== (item.quantity ?? null) ? { stripeQuantity: item.quantity, cappedAt: MAX_SEATS } : {}),
      },
    ),
    ctx.db.update(subscriptions, { ...next, stripeReadAt: readAt, ...(changed ? { updatedAt: now } : {}) }, noNewerRead, unchangedSinceRead),
  ]);
  if (written.meta.changes === 0) {
    const current = await ctx.db.first(subscriptions);
    if (!current || (current.stripeReadAt ?? 0) > readAt) return { kind: 'ignored', tenantId, reason: 'a newer read of this subscription already landed' };
    return null;
  }
  // Always pushed, even when D1 did not change: the object may have missed the last push.
  await seatsFor(env, tenantId).setLimits(entitlementOf({ ...stored, ...next, tenantId, updatedAt: now, stripeReadAt: readAt, reconciledAt: stored?.reconciledAt ?? null }, now).limits);
  return { kind: 'applied', tenantId, changed, plan, status: subscription.status, seats: next.seatQuantity };
}

/**
 * The reconciliation job's look at one tenant: which of its customer's
 * subscriptions Stripe has now (a live one first, else the newest), synced
 * like a webhook would. Finds a subscription whose webhooks never arrived.
 */
export async function reconcileCustomer(ctx: ServiceContext, customerId: string): Promise<SyncOutcome | null> {
  const { data } = await stripeClient(ctx.env).subscriptions.list({ customer: customerId, status: 'all', limit: 20 });
  const newestFirst = [...data].sort((a, b) => b.created - a.created);
  const current = newestFirst.find((subscription) => grantsAccess(subscription.status)) ?? newestFirst[0];
  return current ? syncSubscriptionFromStripe(ctx, current.id) : null;
}
