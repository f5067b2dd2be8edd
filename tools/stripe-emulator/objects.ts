/**
 * Builders for the Stripe objects the emulator serves, typed by the `stripe`
 * package so a field Stripe requires cannot be forgotten. Values the emulator
 * does not model are the ones a plain test-mode account would show (null,
 * false, empty lists).
 */
import Stripe from 'stripe';
import type { BillingInterval } from './clock.ts';
import { newId } from './ids.ts';

export const CURRENCY = 'usd';

export interface PriceInput {
  id: string;
  unitAmount: number;
  currency?: string;
  interval?: BillingInterval | null;
  intervalCount?: number;
  nickname?: string | null;
  productId?: string;
  lookupKey?: string | null;
  metadata?: Record<string, string>;
}

export function buildPrice(input: PriceInput, now: number): Stripe.Price {
  const interval = input.interval === undefined ? 'month' : input.interval;
  return {
    id: input.id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: now,
    currency: input.currency ?? CURRENCY,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: input.lookupKey ?? null,
    metadata: input.metadata ?? {},
    nickname: input.nickname ?? null,
    product: input.productId ?? newId('prod', 14),
    recurring:
      interval === null
        ? null
        : { interval, interval_count: input.intervalCount ?? 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: interval === null ? 'one_time' : 'recurring',
    unit_amount: input.unitAmount,
    unit_amount_decimal: Stripe.Decimal.from(input.unitAmount),
  };
}

/** The legacy `plan` Stripe still embeds in subscription items, derived from the price. */
export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  if (!price.recurring) throw new Error(`price ${price.id} is not recurring`);
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring.interval,
    interval_count: price.recurring.interval_count,
    livemode: false,
    metadata: price.metadata,
    meter: null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: price.recurring.usage_type,
  };
}

export interface CustomerInput {
  email: string | null;
  name: string | null;
  description: string | null;
  phone: string | null;
  metadata: Record<string, string>;
}

export function buildCustomer(input: CustomerInput, now: number): Stripe.Customer {
  return {
    id: newId('cus', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: now,
    currency: null,
    default_source: null,
    delinquent: false,
    description: input.description,
    email: input.email,
    invoice_prefix: newId('X', 6).slice(2).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: input.metadata,
    name: input.name,
    next_invoice_sequence: 1,
    phone: input.phone,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

export interface Period {
  start: number;
  end: number;
}

export function buildSubscriptionItem(
  price: Stripe.Price,
  quantity: number,
  subscriptionId: string,
  period: Period,
  now: number,
): Stripe.SubscriptionItem {
  return {
    id: newId('si', 14),
    object: 'subscription_item',
    billing_thresholds: null,
    created: now,
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: planFromPrice(price),
    price,
    quantity,
    subscription: subscriptionId,
    tax_rates: [],
  };
}

export function itemList(subscriptionId: string, items: Stripe.SubscriptionItem[]): Stripe.ApiList<Stripe.SubscriptionItem> {
  return {
    object: 'list',
    data: items,
    has_more: false,
    url: `/v1/subscription_items?subscription=${subscriptionId}`,
  };
}

export interface SubscriptionInput {
  id: string;
  customerId: string;
  items: Stripe.SubscriptionItem[];
  metadata: Record<string, string>;
  currency: string;
  latestInvoiceId: string | null;
  anchor: number;
}

export function buildSubscription(input: SubscriptionInput, now: number): Stripe.Subscription {
  return {
    id: input.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: input.anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created: now,
    currency: input.currency,
    customer: input.customerId,
    customer_account: null,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: itemList(input.id, input.items),
    latest_invoice: input.latestInvoiceId,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
    trial_start: null,
  };
}

export function buildLineItem(price: Stripe.Price, quantity: number): Stripe.LineItem {
  const amount = (price.unit_amount ?? 0) * quantity;
  return {
    id: newId('li', 24),
    object: 'item',
    adjustable_quantity: null,
    amount_discount: 0,
    amount_subtotal: amount,
    amount_tax: 0,
    amount_total: amount,
    currency: price.currency,
    description: price.nickname,
    metadata: {},
    price,
    quantity,
  };
}

export interface CheckoutSessionInput {
  id: string;
  url: string;
  customerId: string | null;
  customerEmail: string | null;
  lineItems: Stripe.LineItem[];
  successUrl: string | null;
  cancelUrl: string | null;
  clientReferenceId: string | null;
  metadata: Record<string, string>;
  expiresAt: number;
}

export function buildCheckoutSession(input: CheckoutSessionInput, now: number): Stripe.Checkout.Session {
  const total = input.lineItems.reduce((sum, line) => sum + line.amount_total, 0);
  return {
    id: input.id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    amount_subtotal: total,
    amount_total: total,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: input.cancelUrl,
    client_reference_id: input.clientReferenceId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: now,
    currency: input.lineItems[0]?.currency ?? CURRENCY,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: input.customerId,
    customer_account: null,
    customer_creation: input.customerId ? null : 'always',
    customer_details: null,
    customer_email: input.customerEmail,
    discounts: [],
    expires_at: input.expiresAt,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: input.metadata,
    mode: 'subscription',
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: 'always',
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: input.successUrl,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted_page',
    url: input.url,
    wallet_options: null,
  };
}

/** `5 × Pro`, or just the name for one unit, as Stripe words prorations. */
function quantityLabel(price: Stripe.Price, quantity: number): string {
  const name = price.nickname ?? price.id;
  return quantity === 1 ? name : `${quantity} × ${name}`;
}

/** `5 × Pro (at $12.00 / month)`, as Stripe words a subscription's line. */
function subscriptionLabel(price: Stripe.Price, quantity: number): string {
  const amount = new Intl.NumberFormat('en-US', { style: 'currency', currency: price.currency.toUpperCase() }).format(
    (price.unit_amount ?? 0) / 100,
  );
  const recurring = price.recurring;
  const every = !recurring ? '' : recurring.interval_count === 1 ? ` / ${recurring.interval}` : ` / every ${recurring.interval_count} ${recurring.interval}s`;
  return `${quantity} × ${price.nickname ?? price.id} (at ${amount}${every})`;
}

/** `15 Jan 2026`, the date format of Stripe's proration descriptions. */
function prorationDay(unixSeconds: number): string {
  const date = new Date(unixSeconds * 1000);
  const month = date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${String(date.getUTCDate()).padStart(2, '0')} ${month} ${date.getUTCFullYear()}`;
}

export interface ProrationInput {
  customerId: string;
  subscription: Stripe.Subscription;
  subscriptionItemId: string;
  price: Stripe.Price;
  quantity: number;
  /** Credit for unused time at the old price/quantity, or charge for the remaining time at the new one. */
  kind: 'unused' | 'remaining';
  /** From the proration date to the end of the current period. */
  period: Period;
  /** The whole current period, the denominator of the proration factor. */
  fullPeriod: Period;
}

/**
 * A proration as Stripe creates it: a pending invoice item worth the price ×
 * quantity × (time left / whole period), counted in seconds, negative for the
 * unused time being credited, rounded to the cent only at the end.
 */
export function buildProration(input: ProrationInput, now: number): Stripe.InvoiceItem {
  const { price, quantity, period, fullPeriod } = input;
  const remaining = Stripe.Decimal.from(period.end - period.start);
  const whole = Stripe.Decimal.from(fullPeriod.end - fullPeriod.start);
  const sign = input.kind === 'unused' ? -1 : 1;
  const unit = Stripe.Decimal.from(sign * (price.unit_amount ?? 0))
    .mul(remaining)
    .div(whole, 12, 'half-even');
  const amount = Stripe.Decimal.from(quantity).mul(unit).round('half-up', { mode: 'decimal-places', value: 0 }).toNumber();
  const description = `${input.kind === 'unused' ? 'Unused' : 'Remaining'} time on ${quantityLabel(price, quantity)} after ${prorationDay(period.start)}`;
  return {
    id: newId('ii', 24),
    object: 'invoiceitem',
    amount,
    currency: price.currency,
    customer: input.customerId,
    customer_account: null,
    date: now,
    description,
    discountable: false,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: {},
    net_amount: amount,
    parent: {
      type: 'subscription_details',
      subscription_details: { subscription: input.subscription.id, subscription_item: input.subscriptionItemId },
    },
    period: { ...period },
    pricing: {
      type: 'price_details',
      price_details: { price: price.id, product: String(price.product) },
      unit_amount_decimal: unit,
    },
    proration: true,
    proration_details: { credited_items: null, discount_amounts: [] },
    quantity,
    quantity_decimal: Stripe.Decimal.from(quantity),
    tax_rates: [],
    test_clock: null,
  };
}

interface LineInput {
  invoiceId: string;
  subscription: Stripe.Subscription;
  subscriptionItemId: string;
  amount: number;
  currency: string;
  description: string | null;
  period: Period;
  pricing: Stripe.InvoiceLineItem.Pricing | null;
  quantity: number;
  /** The pending invoice item the line bills, for prorations (null in a preview, where it does not exist yet). */
  invoiceItemId: string | null;
  proration: boolean;
  discountable: boolean;
}

function buildLine(input: LineInput): Stripe.InvoiceLineItem {
  return {
    id: newId('il', 24),
    object: 'line_item',
    amount: input.amount,
    currency: input.currency,
    description: input.description,
    discount_amounts: [],
    discountable: input.discountable,
    discounts: [],
    invoice: input.invoiceId,
    livemode: false,
    metadata: {},
    parent: {
      type: 'subscription_item_details',
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: input.invoiceItemId,
        proration: input.proration,
        proration_details: { credited_items: null },
        subscription: input.subscription.id,
        subscription_item: input.subscriptionItemId,
      },
    },
    period: { ...input.period },
    pretax_credit_amounts: [],
    pricing: input.pricing,
    quantity: input.quantity,
    quantity_decimal: Stripe.Decimal.from(input.quantity),
    subscription: input.subscription.id,
    subtotal: input.amount,
    taxes: [],
  };
}

/** The line charging a subscription item for one whole period, in advance. */
export function subscriptionLine(
  invoiceId: string,
  subscription: Stripe.Subscription,
  item: Stripe.SubscriptionItem,
  period: Period,
): Stripe.InvoiceLineItem {
  const quantity = item.quantity ?? 1;
  return buildLine({
    invoiceId,
    subscription,
    subscriptionItemId: item.id,
    amount: (item.price.unit_amount ?? 0) * quantity,
    currency: subscription.currency,
    description: subscriptionLabel(item.price, quantity),
    period,
    pricing: {
      type: 'price_details',
      price_details: { price: item.price.id, product: String(item.price.product) },
      unit_amount_decimal: item.price.unit_amount_decimal,
    },
    quantity,
    invoiceItemId: null,
    proration: false,
    discountable: true,
  });
}

/** The line billing a pending invoice item (a proration). */
export function invoiceItemLine(
  invoiceId: string,
  subscription: Stripe.Subscription,
  invoiceItem: Stripe.InvoiceItem,
  persisted: boolean,
): Stripe.InvoiceLineItem {
  return buildLine({
    invoiceId,
    subscription,
    subscriptionItemId: invoiceItem.parent?.subscription_details?.subscription_item ?? '',
    amount: invoiceItem.amount,
    currency: invoiceItem.currency,
    description: invoiceItem.description,
    period: invoiceItem.period,
    pricing: invoiceItem.pricing,
    quantity: invoiceItem.quantity,
    invoiceItemId: persisted ? invoiceItem.id : null,
    proration: invoiceItem.proration,
    discountable: invoiceItem.discountable,
  });
}

export interface InvoiceInput {
  id: string;
  customer: Stripe.Customer;
  subscription: Stripe.Subscription;
  billingReason: Stripe.Invoice.BillingReason;
  /** The invoice's own period: for a renewal, the period that just ended; for an immediate proration invoice, the instant of the change. */
  period: Period;
  lines: Stripe.InvoiceLineItem[];
  /** `draft` is a preview that is never stored; `paid` and `open` are finalized now (open: the payment failed). */
  status: 'draft' | 'open' | 'paid';
  /** The invoice number and hosted page, both given at finalization. */
  number: string | null;
  hostedInvoiceUrl: string | null;
  /** When the invoice is (or would be) created: now, or for a preview of a renewal, the period's end. */
  created: number;
  /** For a preview of prorations: the time they were computed for, to pass to the update as `proration_date`. */
  prorationDate?: number;
}

/**
 * An invoice from its lines. The customer's credit balance (a negative
 * `balance`) is applied first, and a negative total leaves the rest as
 * credit (`ending_balance`), as Stripe does.
 */
export function buildInvoice(input: InvoiceInput): Stripe.Invoice {
  const { id, customer, subscription, lines, status, created } = input;
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  const applied = total + customer.balance;
  const amountDue = Math.max(0, applied);
  const finalized = status !== 'draft';
  const paid = status === 'paid';
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Local Stripe emulator',
    account_tax_ids: null,
    amount_due: amountDue,
    amount_overpaid: 0,
    amount_paid: paid ? amountDue : 0,
    amount_paid_off_stripe: 0,
    amount_remaining: paid ? 0 : amountDue,
    amount_shipping: 0,
    application: null,
    attempt_count: finalized ? 1 : 0,
    attempted: finalized,
    // Stripe keeps collecting an open subscription invoice on its own; a paid one or a preview has nothing left to advance.
    auto_advance: status === 'open',
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: input.billingReason,
    collection_method: 'charge_automatically',
    created,
    currency: subscription.currency,
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    customer_address: null,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: finalized ? created : null,
    ending_balance: finalized ? Math.min(0, applied) : null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: input.hostedInvoiceUrl,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: status === 'draft' ? created : null,
    number: input.number,
    on_behalf_of: null,
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: {
        metadata: subscription.metadata,
        subscription: subscription.id,
        ...(input.prorationDate !== undefined && { subscription_proration_date: input.prorationDate }),
      },
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: input.period.end,
    period_start: input.period.start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: customer.balance,
    statement_descriptor: null,
    status,
    status_transitions: {
      finalized_at: finalized ? created : null,
      marked_uncollectible_at: null,
      paid_at: paid ? created : null,
      voided_at: null,
    },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: finalized ? created : null,
  };
}

export function buildPortalSession(
  id: string,
  customerId: string,
  returnUrl: string | null,
  url: string,
  now: number,
): Stripe.BillingPortal.Session {
  return {
    id,
    object: 'billing_portal.session',
    configuration: 'bpc_emulator_default',
    created: now,
    customer: customerId,
    customer_account: null,
    flow: null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: returnUrl,
    url,
  };
}

/**
 * A deep copy through JSON, which is also what reaches the client: objects
 * handed out or frozen into events never alias the stored ones, and values
 * such as Stripe.Decimal take their wire form.
 */
export function snapshot<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
