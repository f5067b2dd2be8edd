/**
 * What a seat change will cost, from Stripe's upcoming-invoice preview,
 * before the owner confirms it. With `create_prorations` (what the change
 * itself uses) nothing is charged today: the prorated difference for the
 * rest of the period is added to the next invoice, at renewal, together with
 * the next month at the new seat count. See docs/decisions (0016).
 */
import type Stripe from 'stripe';
import type { TenantContext } from '../../platform/context';
import { AppError } from '../../platform/errors';
import { loadSubscription } from './entitlement';
import type { SeatPreviewQuery } from './inputs';
import { statusPolicy } from './plans';
import { stripeClient, whileStripeAnswers } from './stripe';
import { getBillingSummary } from './summary';

export interface SeatPreview {
  from: number;
  to: number;
  currency: string;
  /** The prorated difference for the rest of this period, in the currency's minor unit (negative: a credit). */
  prorated: number;
  /** The next period at the new seat count. */
  nextMonthly: number;
  /** What the next invoice charges in all: `prorated` plus `nextMonthly` plus anything pending. */
  nextInvoiceTotal: number;
  /** When that invoice is issued (epoch ms). */
  nextInvoiceAt: number;
  /** Stripe's proration date for this preview (epoch seconds): passed back with the change so it bills what was quoted. */
  prorationDate: number | null;
}

function sumLines(lines: Stripe.InvoiceLineItem[], proration: boolean): number {
  return lines.filter((line) => (line.parent?.subscription_item_details?.proration ?? false) === proration).reduce((sum, line) => sum + line.amount, 0);
}

export function previewSeatChange(ctx: TenantContext, query: SeatPreviewQuery): Promise<SeatPreview> {
  return whileStripeAnswers('the price preview', () => preview(ctx, query));
}

async function preview(ctx: TenantContext, query: SeatPreviewQuery): Promise<SeatPreview> {
  const [subscription, { seats }] = await Promise.all([loadSubscription(ctx), getBillingSummary(ctx)]);
  if (!subscription?.stripeSubscriptionId || !subscription.stripeCustomerId || subscription.plan !== 'pro' || statusPolicy(subscription.status) === 'free') {
    throw new AppError('conflict', 'Seats can be changed on an active Pro subscription only');
  }
  if (query.quantity < seats.used) {
    throw new AppError('conflict', `This organisation uses ${seats.used} seats; remove members or revoke invitations first`);
  }
  const stripe = stripeClient(ctx.env);
  const current = await stripe.subscriptions.retrieve(subscription.stripeSubscriptionId);
  const item = current.items.data[0];
  if (!item) throw new AppError('conflict', 'The subscription has no seat item');
  if (item.quantity === query.quantity) throw new AppError('conflict', `You already have ${query.quantity} seats`);
  const invoice = await stripe.invoices.createPreview({
    customer: subscription.stripeCustomerId,
    subscription: current.id,
    subscription_details: { items: [{ id: item.id, quantity: query.quantity }], proration_behavior: 'create_prorations' },
  });
  return {
    from: item.quantity ?? 0,
    to: query.quantity,
    currency: invoice.currency,
    prorated: sumLines(invoice.lines.data, true),
    nextMonthly: sumLines(invoice.lines.data, false),
    nextInvoiceTotal: invoice.amount_due,
    nextInvoiceAt: invoice.created * 1000,
    prorationDate: invoice.parent?.subscription_details?.subscription_proration_date ?? null,
  };
}
