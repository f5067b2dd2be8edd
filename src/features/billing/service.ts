import { eq, gt } from 'drizzle-orm';
import { auditEntry } from '../../platform/audit';
import { invitations, memberships, projects, subscriptions, type Plan } from '../../platform/db/schema';
import { AppError } from '../../platform/http/errors';
import type { Env } from '../../platform/env';
import type { TenantContext } from '../../platform/tenancy/context';
import { seatsFor } from '../seats/client';
import { entitlementOf, loadSubscription } from './entitlement';
import { statusPolicy } from './plans';
import type { CheckoutBody, SeatChangeBody } from './schema';
import type Stripe from 'stripe';
import { stripeClient, whileStripeAnswers } from './stripe';

export interface BillingSummary {
  /** The plan whose limits apply now (free once a paid plan lapsed). */
  plan: Plan;
  /** The plan the tenant subscribed to, even while it is not in force. */
  subscribedPlan: Plan;
  status: string;
  pastDue: boolean;
  graceEndsAt: number | null;
  currentPeriodEnd: number | null;
  seats: { used: number; limit: number | null };
  limits: { seats: number | null; projects: number | null };
  usage: { seats: number; projects: number };
  /** True where a downgrade left more than the plan allows: nothing is deleted, new ones are refused. */
  overLimit: { seats: boolean; projects: boolean };
  /** Where the seat count came from: the tenant's object, or D1 while the object is unreachable. */
  seatSource: 'object' | 'database';
}

/** Members plus pending, unexpired invitations, counted in D1: the fallback when the object is unreachable. */
async function seatsInDatabase(ctx: TenantContext): Promise<number> {
  const [members, pending] = await Promise.all([
    ctx.db.count(memberships),
    ctx.db.count(invitations, eq(invitations.status, 'pending'), gt(invitations.expiresAt, Date.now())),
  ]);
  return members + pending;
}

export async function getBillingSummary(ctx: TenantContext, env: Pick<Env, 'TENANT_DO'>): Promise<BillingSummary> {
  const subscription = await loadSubscription(ctx);
  const entitlement = entitlementOf(subscription);
  let seatSource: BillingSummary['seatSource'] = 'object';
  let used: number;
  try {
    used = (await seatsFor(env, ctx.tenant.id).usage()).used;
  } catch {
    seatSource = 'database';
    used = await seatsInDatabase(ctx);
  }
  const projectCount = await ctx.db.count(projects);
  const { limits } = entitlement;
  return {
    plan: entitlement.effectivePlan,
    subscribedPlan: subscription?.plan ?? 'free',
    status: subscription?.status ?? 'none',
    pastDue: entitlement.pastDue,
    graceEndsAt: entitlement.graceEndsAt,
    currentPeriodEnd: subscription?.currentPeriodEnd ?? null,
    seats: { used, limit: limits.seats },
    limits,
    usage: { seats: used, projects: projectCount },
    overLimit: {
      seats: limits.seats !== null && used > limits.seats,
      projects: limits.projects !== null && projectCount > limits.projects,
    },
    seatSource,
  };
}

type StripeEnv = Pick<
  Env,
  'DB' | 'TENANT_DO' | 'APP_URL' | 'STRIPE_SECRET_KEY' | 'STRIPE_API_HOST' | 'STRIPE_API_PORT' | 'STRIPE_API_PROTOCOL' | 'STRIPE_PRICE_PRO' | 'STRIPE_PRICE_ENTERPRISE'
>;

function billingUrl(env: Pick<Env, 'APP_URL'>, ctx: TenantContext, query = ''): string {
  return `${env.APP_URL.replace(/\/$/, '')}/t/${ctx.tenant.slug}/billing${query}`;
}

/**
 * The tenant's Stripe customer, created once: the idempotency key is the
 * tenant's id, so two concurrent checkouts (or a retry after a crash between
 * Stripe and D1) get the same customer, and the id is stored before checkout.
 */
async function ensureStripeCustomer(ctx: TenantContext, env: StripeEnv): Promise<string> {
  const subscription = await loadSubscription(ctx);
  if (subscription?.stripeCustomerId) return subscription.stripeCustomerId;
  const customer = await stripeClient(env).customers.create(
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
  if (live) throw new AppError('conflict', 'This tenant already has a subscription; if you just paid, it is still being confirmed');
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
export async function stopAllBilling(env: Parameters<typeof stripeClient>[0], customer: string, requestId: string): Promise<string[]> {
  const stripe = stripeClient(env);
  await expireOpenCheckouts(stripe, customer);
  const { data } = await stripe.subscriptions.list({ customer, status: 'all', limit: 100 });
  const live = data.filter((subscription) => subscription.status !== 'canceled' && subscription.status !== 'incomplete_expired');
  for (const subscription of live) {
    await stripe.subscriptions.cancel(subscription.id, {}, { idempotencyKey: `stop-billing:${subscription.id}:${requestId}` });
  }
  return live.map((subscription) => subscription.id);
}

/**
 * A subscription-mode Checkout Session for the tenant's customer. The
 * redirect back grants nothing: the plan changes when the webhook lands.
 */
export function startCheckout(ctx: TenantContext, env: StripeEnv, input: CheckoutBody): Promise<{ url: string }> {
  return whileStripeAnswers('the checkout', () => createCheckout(ctx, env, input));
}

async function createCheckout(ctx: TenantContext, env: StripeEnv, input: CheckoutBody): Promise<{ url: string }> {
  const summary = await getBillingSummary(ctx, env);
  if (statusPolicy(summary.status) !== 'free') {
    throw new AppError('conflict', `This tenant already has the ${summary.plan} plan; change seats or manage billing instead`);
  }
  if (input.seats < summary.seats.used) {
    throw new AppError('conflict', `This tenant uses ${summary.seats.used} seats; buy at least that many`);
  }
  const customer = await ensureStripeCustomer(ctx, env);
  const stripe = stripeClient(env);
  await refuseIfAlreadySubscribed(stripe, customer);
  // No seat count in the metadata: for enterprise that field is the seat limit, and it is ours (sales), not the buyer's.
  const metadata = { tenant_id: ctx.tenant.id, plan: input.plan };
  const session = await stripe.checkout.sessions.create(
    {
      mode: 'subscription',
      customer,
      client_reference_id: ctx.tenant.id,
      line_items: [{ price: env.STRIPE_PRICE_PRO, quantity: input.seats }],
      metadata,
      subscription_data: { metadata },
      success_url: billingUrl(env, ctx, '?checkout=success'),
      cancel_url: billingUrl(env, ctx, '?checkout=canceled'),
    },
    { idempotencyKey: `checkout:${ctx.requestId}` },
  );
  await expireOpenCheckouts(stripe, customer, session.id);
  if (!session.url) throw new AppError('unavailable', 'Stripe did not return a checkout URL; try again');
  await ctx.db.batch([auditEntry(ctx, 'billing.checkout_started', { type: 'checkout_session', id: session.id }, { plan: input.plan, seats: input.seats })]);
  return { url: session.url };
}

export async function openBillingPortal(ctx: TenantContext, env: StripeEnv): Promise<{ url: string }> {
  const subscription = await loadSubscription(ctx);
  const customer = subscription?.stripeCustomerId;
  if (!customer) throw new AppError('conflict', 'This tenant has no billing account yet; upgrade first');
  const session = await whileStripeAnswers('opening the billing portal', () =>
    stripeClient(env).billingPortal.sessions.create({ customer, return_url: billingUrl(env, ctx) }),
  );
  return { url: session.url };
}

/**
 * Asks Stripe for a new seat quantity on the pro subscription (prorated).
 * Nothing changes here until Stripe confirms it by webhook.
 */
export function requestSeatChange(ctx: TenantContext, env: StripeEnv, input: SeatChangeBody): Promise<{ appliesNow: boolean }> {
  return whileStripeAnswers('the seat change', () => changeSeats(ctx, env, input));
}

async function changeSeats(ctx: TenantContext, env: StripeEnv, input: SeatChangeBody): Promise<{ appliesNow: boolean }> {
  const subscription = await loadSubscription(ctx);
  if (!subscription?.stripeSubscriptionId || subscription.plan !== 'pro' || statusPolicy(subscription.status) === 'free') {
    throw new AppError('conflict', 'Seats can be changed on an active pro subscription only');
  }
  const { seats } = await getBillingSummary(ctx, env);
  if (input.quantity < seats.used) throw new AppError('conflict', `This tenant uses ${seats.used} seats; remove members or revoke invitations first`);
  const stripe = stripeClient(env);
  const current = await stripe.subscriptions.retrieve(subscription.stripeSubscriptionId);
  const item = current.items.data[0];
  if (!item) throw new AppError('conflict', 'The subscription has no seat item');
  await stripe.subscriptions.update(
    current.id,
    { items: [{ id: item.id, quantity: input.quantity }], proration_behavior: 'create_prorations' },
    { idempotencyKey: `seats:${current.id}:${ctx.requestId}` },
  );
  // A reduction applies at once, so nobody fills seats that are no longer paid
  // for while the webhook is on its way; an increase waits for Stripe's word.
  const appliesNow = input.quantity < (subscription.seatQuantity ?? item.quantity ?? 0);
  await ctx.db.batch([
    auditEntry(ctx, 'billing.seats_change_requested', { type: 'subscription', id: current.id }, { from: item.quantity, to: input.quantity, appliesNow }),
    // Stripe has the new quantity as of now: a sync whose read of Stripe began earlier must not write the old one back.
    ...(appliesNow ? [ctx.db.update(subscriptions, { seatQuantity: input.quantity, updatedAt: Date.now(), stripeReadAt: Date.now() })] : []),
  ]);
  if (appliesNow) {
    await seatsFor(env, ctx.tenant.id).setLimits(entitlementOf({ ...subscription, seatQuantity: input.quantity }).limits);
  }
  return { appliesNow };
}
