/**
 * What an owner asks of Stripe: checkout, the billing portal, a seat
 * change, and stopping all billing before the tenant is deleted. None of it
 * grants anything by itself: the plan changes when Stripe's webhook lands
 * (sync/).
 */
import { eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { auditEntry } from '../../platform/audit';
import type { ServiceContext, TenantContext } from '../../platform/context';
import { subscriptions } from '../../platform/db/schema';
import { AppError } from '../../platform/errors';
import { tenantPath } from '../../platform/ui/paths';
import { seatsFor } from '../seats/client';
import { entitlementOf, loadSubscription } from './entitlement';
import type { CheckoutBody, SeatChangeBody } from './inputs';
import { FREE_LIMITS, statusPolicy } from './plans';
import { isMissingInStripe, stripeClient, whileStripeAnswers } from './stripe';
import { syncSubscriptionFromStripe } from './sync/subscription';
import { getBillingSummary } from './summary';

/** The billing page's absolute URL, where Stripe sends the browser back. */
function billingUrl(ctx: TenantContext, query = ''): string {
  return `${ctx.env.APP_URL.replace(/\/$/, '')}${tenantPath(ctx.tenant, 'billing')}${query}`;
}

/** What Stripe leaves when a customer or subscription is gone: no subscription, so the free plan. */
const NO_LIVE_SUBSCRIPTION = { stripeSubscriptionId: null, status: 'canceled', seatQuantity: null, seatLimitOverride: null, pastDueSince: null } as const;

/**
 * The tenant's Stripe customer, created once: the idempotency key is the
 * tenant's id, so two concurrent checkouts (or a retry after a crash between
 * Stripe and D1) get the same customer, and the id is stored before checkout.
 */
async function ensureStripeCustomer(ctx: TenantContext): Promise<string> {
  const subscription = await loadSubscription(ctx);
  if (subscription?.stripeCustomerId) return subscription.stripeCustomerId;
  return createStripeCustomer(ctx, `customer:${ctx.tenant.id}`, null);
}

async function createStripeCustomer(ctx: TenantContext, idempotencyKey: string, replacing: string | null): Promise<string> {
  const customer = await stripeClient(ctx.env).customers.create(
    { name: ctx.tenant.name, metadata: { tenant_id: ctx.tenant.id, tenant_slug: ctx.tenant.slug } },
    { idempotencyKey },
  );
  // A customer Stripe deleted took its subscriptions with it: the tenant is on no subscription now.
  const gone = replacing ? NO_LIVE_SUBSCRIPTION : {};
  await ctx.db.batch([
    ctx.db.update(subscriptions, { stripeCustomerId: customer.id, ...gone, updatedAt: Date.now() }),
    auditEntry(ctx, replacing ? 'billing.customer_recreated' : 'billing.customer_created', { type: 'stripe_customer', id: customer.id }, replacing ? { replacing } : undefined),
  ]);
  if (replacing) await seatsFor(ctx.env, ctx.tenant.id).setLimits(FREE_LIMITS);
  return customer.id;
}

/**
 * Runs `work` with the tenant's customer. If Stripe no longer has it
 * (deleted in the dashboard, or the local emulator restarted), a new one is
 * made once (keyed by the missing id, so concurrent requests make the same
 * one) and `work` runs again: billing never stays broken.
 */
async function withLiveCustomer<T>(ctx: TenantContext, work: (customer: string) => Promise<T>): Promise<T> {
  const customer = await ensureStripeCustomer(ctx);
  try {
    return await work(customer);
  } catch (err) {
    if (!isMissingInStripe(err) || !(await customerIsMissing(ctx, customer))) throw err;
    ctx.log.warn('stripe customer missing; recreating it', { customer });
    return work(await createStripeCustomer(ctx, `customer:${ctx.tenant.id}:after:${customer}`, customer));
  }
}

async function customerIsMissing(ctx: TenantContext, customer: string): Promise<boolean> {
  try {
    const found = await stripeClient(ctx.env).customers.retrieve(customer);
    return 'deleted' in found && found.deleted === true;
  } catch (err) {
    if (isMissingInStripe(err)) return true;
    throw err;
  }
}

/**
 * Stripe may already bill this customer while its webhook is still on the
 * way (the plan here still reads free): a second checkout would charge twice.
 */
async function refuseIfAlreadySubscribed(stripe: Stripe, customer: string): Promise<void> {
  const { data } = await stripe.subscriptions.list({ customer, status: 'all', limit: 20 });
  const live = data.find((subscription) => subscription.status === 'incomplete' || statusPolicy(subscription.status) !== 'free');
  if (live) throw new AppError('conflict', 'This organisation already has a subscription; if you just paid, it is still being confirmed');
}

/**
 * Only the newest checkout can be paid: two tabs (or two admins) cannot buy
 * two subscriptions. Checkouts are started one at a time per tenant
 * (`oneAtATime`); a session that stopped being open since the list (paid,
 * expired by Stripe) is not an error.
 */
async function expireOpenCheckouts(stripe: Stripe, customer: string, keep?: string): Promise<void> {
  const { data } = await stripe.checkout.sessions.list({ customer, status: 'open', limit: 100 });
  for (const session of data) {
    if (session.id === keep) continue;
    try {
      await stripe.checkout.sessions.expire(session.id);
    } catch (err) {
      if ((await stripe.checkout.sessions.retrieve(session.id)).status === 'open') throw err;
    }
  }
}

/** How long one checkout may hold the tenant's checkout lease (the SDK's timeout × its retries, with room). */
const CHECKOUT_LEASE_MS = 45_000;
/** How long a second checkout waits for the first before answering 409. */
const CHECKOUT_WAIT_MS = 20_000;

/**
 * Runs `work` while holding the tenant's lease `name` in its Durable Object,
 * so concurrent requests take turns instead of undoing each other.
 */
async function oneAtATime<T>(ctx: TenantContext, name: string, work: () => Promise<T>): Promise<T> {
  const seats = seatsFor(ctx.env, ctx.tenant.id);
  const deadline = Date.now() + CHECKOUT_WAIT_MS;
  let token = await seats.acquireLease(name, CHECKOUT_LEASE_MS);
  while (token === null) {
    if (Date.now() > deadline) throw new AppError('conflict', 'Another checkout for this organisation is being started; try again in a moment');
    await new Promise((resolve) => setTimeout(resolve, 50));
    token = await seats.acquireLease(name, CHECKOUT_LEASE_MS);
  }
  try {
    return await work();
  } finally {
    await seats.releaseLease(name, token);
  }
}

/**
 * Before a tenant is deleted: nothing of its customer may bill again. Every
 * subscription Stripe has for it that is not over is canceled (including one
 * whose webhook has not landed yet), and open checkouts are expired.
 */
export async function stopAllBilling(ctx: ServiceContext, customer: string): Promise<string[]> {
  const stripe = stripeClient(ctx.env);
  await expireOpenCheckouts(stripe, customer);
  const { data } = await stripe.subscriptions.list({ customer, status: 'all', limit: 100 });
  const live = data.filter((subscription) => subscription.status !== 'canceled' && subscription.status !== 'incomplete_expired');
  for (const subscription of live) {
    await stripe.subscriptions.cancel(subscription.id, {}, { idempotencyKey: `stop-billing:${subscription.id}:${ctx.requestId}` });
  }
  return live.map((subscription) => subscription.id);
}

/**
 * A subscription-mode Checkout Session for the tenant's customer. The
 * redirect back grants nothing: the plan changes when the webhook lands.
 */
export function startCheckout(ctx: TenantContext, input: CheckoutBody): Promise<{ url: string }> {
  return whileStripeAnswers('the checkout', () => oneAtATime(ctx, 'checkout', () => createCheckout(ctx, input)));
}

async function createCheckout(ctx: TenantContext, input: CheckoutBody): Promise<{ url: string }> {
  const summary = await getBillingSummary(ctx);
  if (statusPolicy(summary.status) !== 'free') {
    throw new AppError('conflict', `This organisation already has the ${summary.plan} plan; change seats or manage billing instead`);
  }
  if (input.seats < summary.seats.used) {
    throw new AppError('conflict', `This organisation uses ${summary.seats.used} seats; buy at least that many`);
  }
  const stripe = stripeClient(ctx.env);
  // No seat count in the metadata: for enterprise that field is the seat limit, and it is ours (sales), not the buyer's.
  const metadata = { tenant_id: ctx.tenant.id, plan: input.plan };
  const session = await withLiveCustomer(ctx, async (customer) => {
    await refuseIfAlreadySubscribed(stripe, customer);
    const created = await stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        customer,
        client_reference_id: ctx.tenant.id,
        line_items: [{ price: ctx.env.STRIPE_PRICE_PRO, quantity: input.seats }],
        metadata,
        subscription_data: { metadata },
        success_url: billingUrl(ctx, '?checkout=success'),
        cancel_url: billingUrl(ctx, '?checkout=canceled'),
      },
      { idempotencyKey: `checkout:${ctx.requestId}:${customer}` },
    );
    await expireOpenCheckouts(stripe, customer, created.id);
    return created;
  });
  if (!session.url) throw new AppError('unavailable', 'Stripe did not return a checkout URL; try again');
  await ctx.db.batch([auditEntry(ctx, 'billing.checkout_started', { type: 'checkout_session', id: session.id }, { plan: input.plan, seats: input.seats })]);
  return { url: session.url };
}

export async function openBillingPortal(ctx: TenantContext): Promise<{ url: string }> {
  const subscription = await loadSubscription(ctx);
  if (!subscription?.stripeCustomerId) throw new AppError('conflict', 'This organisation has no billing account yet; upgrade first');
  const session = await whileStripeAnswers('opening the billing portal', () =>
    withLiveCustomer(ctx, (customer) => stripeClient(ctx.env).billingPortal.sessions.create({ customer, return_url: billingUrl(ctx) })),
  );
  return { url: session.url };
}

/**
 * Asks Stripe for a new seat quantity on the pro subscription (prorated).
 * An increase waits for Stripe's webhook. A reduction is in force in the
 * tenant's object before Stripe is asked (so invitations cannot fill the
 * seats being given up while Stripe answers), restored if Stripe refuses,
 * and written to D1 once Stripe has it.
 */
export function requestSeatChange(ctx: TenantContext, input: SeatChangeBody): Promise<{ appliesNow: boolean }> {
  return whileStripeAnswers('the seat change', () => changeSeats(ctx, input));
}

async function changeSeats(ctx: TenantContext, input: SeatChangeBody): Promise<{ appliesNow: boolean }> {
  const subscription = await loadSubscription(ctx);
  if (!subscription?.stripeSubscriptionId || subscription.plan !== 'pro' || statusPolicy(subscription.status) === 'free') {
    throw new AppError('conflict', 'Seats can be changed on an active pro subscription only');
  }
  const seats = seatsFor(ctx.env, ctx.tenant.id);
  const previousLimit = entitlementOf(subscription).limits.seats;
  const reducing = input.quantity < (subscription.seatQuantity ?? 0);
  const refuse = (used: number) => new AppError('conflict', `This organisation uses ${used} seats; remove members or revoke invitations first`);
  if (reducing) {
    const lowered = await seats.lowerSeatLimit(input.quantity);
    if (!lowered.ok) throw refuse(lowered.usage.used);
  } else {
    const { used } = await seats.usage();
    if (input.quantity < used) throw refuse(used);
  }

  const stripe = stripeClient(ctx.env);
  let from: number | null | undefined;
  let stripeAnsweredAt: number;
  try {
    const current = await stripe.subscriptions.retrieve(subscription.stripeSubscriptionId);
    if (statusPolicy(current.status) === 'free') {
      await syncSubscriptionFromStripe(ctx, current.id);
      throw subscriptionEnded();
    }
    const item = current.items.data[0];
    if (!item) throw new AppError('conflict', 'The subscription has no seat item');
    from = item.quantity;
    await stripe.subscriptions.update(
      current.id,
      {
        items: [{ id: item.id, quantity: input.quantity }],
        proration_behavior: 'create_prorations',
        // The preview's date: the change bills exactly what the confirmation page quoted.
        ...(input.prorationDate ? { proration_date: input.prorationDate } : {}),
      },
      { idempotencyKey: `seats:${current.id}:${ctx.requestId}` },
    );
    stripeAnsweredAt = Date.now();
  } catch (err) {
    if (reducing) await seats.restoreSeatLimit(input.quantity, previousLimit);
    if (isMissingInStripe(err)) {
      await forgetMissingSubscription(ctx, subscription.stripeSubscriptionId);
      throw subscriptionEnded();
    }
    throw err;
  }

  const audit = auditEntry(ctx, 'billing.seats_change_requested', { type: 'subscription', id: subscription.stripeSubscriptionId }, { from, to: input.quantity, appliesNow: reducing });
  if (!reducing) {
    await ctx.db.batch([audit]);
    return { appliesNow: false };
  }
  // Stamped as a read of Stripe made after it answered, so a webhook sync whose read began earlier (and saw the old quantity) cannot overwrite it.
  const noNewerRead = sql`(${subscriptions.stripeReadAt} IS NULL OR ${subscriptions.stripeReadAt} <= ${stripeAnsweredAt})`;
  const [written] = await ctx.db.batch([
    ctx.db.update(subscriptions, { seatQuantity: input.quantity, stripeReadAt: stripeAnsweredAt, updatedAt: Date.now() }, noNewerRead),
    audit,
  ]);
  if (written.meta.changes > 0) await seats.setLimits(entitlementOf({ ...subscription, seatQuantity: input.quantity }).limits);
  return { appliesNow: true };
}

function subscriptionEnded(): AppError {
  return new AppError('conflict', "This organisation's subscription has ended in Stripe, so it is on the free plan now; upgrade again from the billing page");
}

/** Stripe has no such subscription any more (its customer was deleted, or the local emulator restarted). */
async function forgetMissingSubscription(ctx: TenantContext, subscriptionId: string): Promise<void> {
  await ctx.db.batch([
    ctx.db.update(subscriptions, { ...NO_LIVE_SUBSCRIPTION, updatedAt: Date.now() }, eq(subscriptions.stripeSubscriptionId, subscriptionId)),
    auditEntry(ctx, 'billing.subscription_missing', { type: 'subscription', id: subscriptionId }),
  ]);
  await seatsFor(ctx.env, ctx.tenant.id).setLimits(FREE_LIMITS);
}
