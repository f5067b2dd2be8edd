/**
 * What an owner asks of Stripe: checkout, the billing portal, a seat
 * change, and stopping all billing before the tenant is deleted. None of it
 * grants anything by itself: the plan changes when Stripe's webhook lands
 * (sync/).
 */
import type Stripe from 'stripe';
import { auditEntry } from '../../platform/audit';
import type { ServiceContext, TenantContext } from '../../platform/context';
import { subscriptions } from '../../platform/db/schema';
import { AppError } from '../../platform/errors';
import { tenantPath } from '../../platform/ui/paths';
import { seatsFor } from '../seats/client';
import { entitlementOf, loadSubscription } from './entitlement';
import type { CheckoutBody, SeatChangeBody } from './inputs';
import { statusPolicy } from './plans';
import { stripeClient, whileStripeAnswers } from './stripe';
import { getBillingSummary } from './summary';

/** The billing page's absolute URL, where Stripe sends the browser back. */
function billingUrl(ctx: TenantContext, query = ''): string {
  return `${ctx.env.APP_URL.replace(/\/$/, '')}${tenantPath(ctx.tenant, 'billing')}${query}`;
}

/**
 * The tenant's Stripe customer, created once: the idempotency key is the
 * tenant's id, so two concurrent checkouts (or a retry after a crash between
 * Stripe and D1) get the same customer, and the id is stored before checkout.
 */
async function ensureStripeCustomer(ctx: TenantContext): Promise<string> {
  const subscription = await loadSubscription(ctx);
  if (subscription?.stripeCustomerId) return subscription.stripeCustomerId;
  const customer = await stripeClient(ctx.env).customers.create(
    { name: ctx.tenant.name, metadata: { tenant_id: ctx.tenant.id, tenant_slug: ctx.tenant.slug } },
    { idempotencyKey: `customer:${ctx.tenant.id}` },
  );
  await ctx.db.batch([
    ctx.db.update(subscriptions, { stripeCustomerId: customer.id, updatedAt: Date.now() }),
    auditEntry(ctx, 'billing.customer_created', { type: 'stripe_customer', id: customer.id }),
  ]);
  return customer.id;
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
 * two subscriptions. Concurrent checkouts may expire each other; paying then
 * fails on Stripe's page and a retry works, which beats a double charge.
 */
async function expireOpenCheckouts(stripe: Stripe, customer: string, keep?: string): Promise<void> {
  const { data } = await stripe.checkout.sessions.list({ customer, status: 'open', limit: 100 });
  for (const session of data) {
    if (session.id !== keep) await stripe.checkout.sessions.expire(session.id);
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
  return whileStripeAnswers('the checkout', () => createCheckout(ctx, input));
}

async function createCheckout(ctx: TenantContext, input: CheckoutBody): Promise<{ url: string }> {
  const summary = await getBillingSummary(ctx);
  if (statusPolicy(summary.status) !== 'free') {
    throw new AppError('conflict', `This organisation already has the ${summary.plan} plan; change seats or manage billing instead`);
  }
  if (input.seats < summary.seats.used) {
    throw new AppError('conflict', `This organisation uses ${summary.seats.used} seats; buy at least that many`);
  }
  const customer = await ensureStripeCustomer(ctx);
  const stripe = stripeClient(ctx.env);
  await refuseIfAlreadySubscribed(stripe, customer);
  // No seat count in the metadata: for enterprise that field is the seat limit, and it is ours (sales), not the buyer's.
  const metadata = { tenant_id: ctx.tenant.id, plan: input.plan };
  const session = await stripe.checkout.sessions.create(
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
    { idempotencyKey: `checkout:${ctx.requestId}` },
  );
  await expireOpenCheckouts(stripe, customer, session.id);
  if (!session.url) throw new AppError('unavailable', 'Stripe did not return a checkout URL; try again');
  await ctx.db.batch([auditEntry(ctx, 'billing.checkout_started', { type: 'checkout_session', id: session.id }, { plan: input.plan, seats: input.seats })]);
  return { url: session.url };
}

export async function openBillingPortal(ctx: TenantContext): Promise<{ url: string }> {
  const subscription = await loadSubscription(ctx);
  const customer = subscription?.stripeCustomerId;
  if (!customer) throw new AppError('conflict', 'This organisation has no billing account yet; upgrade first');
  const session = await whileStripeAnswers('opening the billing portal', () =>
    stripeClient(ctx.env).billingPortal.sessions.create({ customer, return_url: billingUrl(ctx) }),
  );
  return { url: session.url };
}

/**
 * Asks Stripe for a new seat quantity on the pro subscription (prorated).
 * Nothing changes here until Stripe confirms it by webhook.
 */
export function requestSeatChange(ctx: TenantContext, input: SeatChangeBody): Promise<{ appliesNow: boolean }> {
  return whileStripeAnswers('the seat change', () => changeSeats(ctx, input));
}

async function changeSeats(ctx: TenantContext, input: SeatChangeBody): Promise<{ appliesNow: boolean }> {
  const subscription = await loadSubscription(ctx);
  if (!subscription?.stripeSubscriptionId || subscription.plan !== 'pro' || statusPolicy(subscription.status) === 'free') {
    throw new AppError('conflict', 'Seats can be changed on an active pro subscription only');
  }
  const { seats } = await getBillingSummary(ctx);
  if (input.quantity < seats.used) throw new AppError('conflict', `This organisation uses ${seats.used} seats; remove members or revoke invitations first`);
  const stripe = stripeClient(ctx.env);
  const current = await stripe.subscriptions.retrieve(subscription.stripeSubscriptionId);
  const item = current.items.data[0];
  if (!item) throw new AppError('conflict', 'The subscription has no seat item');
  await stripe.subscriptions.update(
    current.id,
    {
      items: [{ id: item.id, quantity: input.quantity }],
      proration_behavior: 'create_prorations',
      ...(input.prorationDate ? { proration_date: input.prorationDate } : {}),
    },
    { idempotencyKey: `seats:${current.id}:${ctx.requestId}` },
  );
  // A reduction applies at once, so nobody fills seats that are no longer paid
  // for while the webhook is on its way; an increase waits for Stripe's word.
  const appliesNow = input.quantity < (subscription.seatQuantity ?? item.quantity ?? 0);
  await ctx.db.batch([
    auditEntry(ctx, 'billing.seats_change_requested', { type: 'subscription', id: current.id }, { from: item.quantity, to: input.quantity, appliesNow }),
    ...(appliesNow ? [ctx.db.update(subscriptions, { seatQuantity: input.quantity, updatedAt: Date.now() })] : []),
  ]);
  if (appliesNow) {
    await seatsFor(ctx.env, ctx.tenant.id).setLimits(entitlementOf({ ...subscription, seatQuantity: input.quantity }).limits);
  }
  return { appliesNow };
}
