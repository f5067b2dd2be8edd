/**
 * What happens to customers, checkout sessions and subscriptions, and the
 * events Stripe would emit for each change. The HTTP API, the hosted pages
 * and the operator controls all go through these operations, so a change
 * made from the portal page and one made through the SDK look the same to
 * the app.
 */
import Stripe from 'stripe';
import { addIntervals, type EmulatorClock } from './clock.ts';
import {
  canceledSubscriptionFields,
  cardDeclined,
  invalidRequest,
  noSuchParam,
  noSuchResource,
  StripeApiError,
} from './errors.ts';
import { applyMetadata, type MetadataUpdate } from './form.ts';
import { newId } from './ids.ts';
import {
  buildCheckoutSession,
  buildCustomer,
  buildInvoice,
  buildLineItem,
  buildPortalSession,
  buildPrice,
  buildProration,
  buildSubscription,
  buildSubscriptionItem,
  invoiceItemLine,
  itemList,
  planFromPrice,
  snapshot,
  subscriptionLine,
  type CustomerInput,
  type Period,
  type PriceInput,
} from './objects.ts';
import {
  currentPeriod,
  type EmittedEvent,
  type EmittedEventType,
  type EventOf,
  type StoredEvent,
  type Store,
  type SubscriptionRecord,
} from './store.ts';

export interface BillingConfig {
  /** How long a past_due subscription keeps being retried before it lapses. */
  retryWindowSeconds: number;
  /** What a subscription becomes when the retry window runs out, as in Stripe's dunning settings. */
  afterRetries: 'unpaid' | 'canceled';
  checkoutExpirySeconds: number;
  /** Origin of the hosted pages, e.g. http://127.0.0.1:12111. */
  publicUrl(): string;
  webhooksEnabled(): boolean;
  /** Receives the events of one operation, in the order they happened. */
  onEvents(batch: StoredEvent[]): void;
}

/** Who caused an event: an API request (with its idempotency key) or the emulator itself (both null). */
export type EventRequest = Stripe.Event.Request;
const AUTOMATIC: EventRequest = { id: null, idempotency_key: null };

/** Stripe's test cards the emulator knows; any other number is declined as 4000000000000002 is. */
export const TEST_CARD_OK = '4242424242424242';
export const TEST_CARD_DECLINED = '4000000000000002';
/** Saved as a payment method without complaint, but every charge on it fails, as in Stripe's test mode. */
export const TEST_CARD_CHARGES_FAIL = '4000000000000341';

export type ProrationBehavior = 'always_invoice' | 'create_prorations' | 'none';

export interface CheckoutSessionCreate {
  customerId: string | null;
  customerEmail: string | null;
  lineItems: Array<{ price: string; quantity: number }>;
  successUrl: string | null;
  cancelUrl: string | null;
  clientReferenceId: string | null;
  metadata: Record<string, string>;
  subscriptionMetadata: Record<string, string>;
}

export interface SubscriptionItemUpdate {
  /** Parameter path for errors, e.g. `items[0]`. */
  param: string;
  id?: string;
  price?: string;
  quantity?: number;
  deleted?: boolean;
}

export interface SubscriptionUpdate {
  items?: SubscriptionItemUpdate[];
  metadata?: MetadataUpdate;
  cancelAtPeriodEnd?: boolean;
  cancellationDetails?: { comment?: string | null; feedback?: string | null };
  /** Stripe's default is create_prorations. */
  prorationBehavior?: ProrationBehavior;
  /** When the change counts from for prorations; default now. */
  prorationDate?: number;
  /** Accepted; the emulator's payments either succeed or fail at once, so it changes nothing. */
  paymentBehavior?: string;
}

export interface InvoicePreviewRequest {
  customerId?: string;
  subscriptionId: string;
  items?: SubscriptionItemUpdate[];
  prorationBehavior?: ProrationBehavior;
  prorationDate?: number;
}

export type CustomerUpdate = Partial<Omit<CustomerInput, 'metadata'>> & { metadata?: MetadataUpdate };

export interface AdvanceResult {
  /** The emulator clock after the advance, in Unix seconds. */
  now: number;
  events: Array<{ id: string; type: string }>;
}

type StepKind = 'retry' | 'retries_exhausted' | 'period_end';
interface Step {
  record: SubscriptionRecord;
  kind: StepKind;
  at: number;
}

/** The top-level fields that differ, with their old values: Stripe's `previous_attributes`. */
function previousAttributes<T extends object>(before: T, after: T): Partial<T> {
  const previous: Partial<T> = {};
  for (const key of Object.keys(after) as Array<keyof T>) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
  }
  return previous;
}

export class Billing {
  readonly store: Store;
  readonly clock: EmulatorClock;
  readonly config: BillingConfig;
  private batch: StoredEvent[] | null = null;
  private request: EventRequest = AUTOMATIC;

  constructor(store: Store, clock: EmulatorClock, config: BillingConfig) {
    this.store = store;
    this.clock = clock;
    this.config = config;
  }

  /**
   * Runs one operation. Its events are handed to `onEvents` as one batch
   * when it returns, so a checkout's three events are delivered (or
   * reordered, under that fault) together.
   */
  run<T>(request: EventRequest | null, operation: () => T): T {
    if (this.batch) return operation();
    this.batch = [];
    this.request = request ?? AUTOMATIC;
    try {
      return operation();
    } finally {
      const batch = this.batch;
      this.batch = null;
      this.request = AUTOMATIC;
      if (batch.length > 0) this.config.onEvents(batch);
    }
  }

  private emit<T extends EmittedEventType>(
    type: T,
    object: EventOf<T>['data']['object'],
    previous?: EventOf<T>['data']['previous_attributes'],
    at = this.clock.now(),
  ): void {
    if (!this.batch) throw new Error(`event ${type} emitted outside Billing.run`);
    const data = previous === undefined ? { object } : { object, previous_attributes: previous };
    // TypeScript cannot tie `type` to its matching member of the event union; the signature above does.
    const event = {
      id: newId('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: at,
      data: snapshot(data),
      livemode: false,
      pending_webhooks: this.config.webhooksEnabled() ? 1 : 0,
      request: this.request,
      type,
    } as EmittedEvent;
    this.batch.push(this.store.appendEvent(event));
  }

  // Prices

  createPrice(input: PriceInput): Stripe.Price {
    if (this.store.prices.has(input.id)) throw invalidRequest(`A price with id ${input.id} already exists.`, 'id');
    const price = buildPrice(input, this.clock.now());
    this.store.prices.set(price.id, price);
    return price;
  }

  getPrice(id: string): Stripe.Price {
    const price = this.store.prices.get(id);
    if (!price) throw noSuchResource('price', id);
    return price;
  }

  private recurringPrice(id: string, param: string): Stripe.Price {
    const price = this.store.prices.get(id);
    if (!price) throw noSuchParam('price', id, param);
    if (!price.recurring) {
      throw invalidRequest(
        'You must provide at least one recurring price in `subscription` mode when using prices.',
        param,
      );
    }
    return price;
  }

  // Customers

  getCustomer(id: string): Stripe.Customer {
    const record = this.store.customers.get(id);
    if (!record) throw noSuchResource('customer', id);
    return record.customer;
  }

  createCustomer(input: CustomerInput): Stripe.Customer {
    const customer = buildCustomer(input, this.clock.now());
    this.store.customers.set(customer.id, { customer, failPayments: false, card: null });
    this.emit('customer.created', customer);
    return customer;
  }

  updateCustomer(id: string, update: CustomerUpdate): Stripe.Customer {
    const customer = this.getCustomer(id);
    const before = snapshot(customer);
    if (update.email !== undefined) customer.email = update.email;
    if (update.name !== undefined) customer.name = update.name;
    if (update.description !== undefined) customer.description = update.description;
    if (update.phone !== undefined) customer.phone = update.phone;
    customer.metadata = applyMetadata(customer.metadata, update.metadata);
    const previous = previousAttributes(before, customer);
    if (Object.keys(previous).length > 0) this.emit('customer.updated', customer, previous);
    return customer;
  }

  /**
   * DELETE /v1/customers/:id, as Stripe does it: the customer's live
   * subscriptions end at once (`customer.subscription.deleted` each), then
   * the customer is gone (`customer.deleted`); any later call naming it
   * answers `resource_missing`.
   */
  deleteCustomer(id: string): Stripe.DeletedCustomer {
    const customer = this.getCustomer(id);
    for (const record of this.store.subscriptions.values()) {
      const { subscription } = record;
      if (subscription.customer !== id || subscription.status === 'canceled' || subscription.status === 'incomplete_expired') continue;
      this.endSubscription(record, this.clock.now(), 'cancellation_requested');
      this.emit('customer.subscription.deleted', subscription);
    }
    this.store.customers.delete(id);
    this.emit('customer.deleted', customer);
    return { id, object: 'customer', deleted: true };
  }

  /** Operator switch: the customer's off-session payments (renewals and their retries) fail until switched off. */
  setPaymentFailure(customerId: string, fail: boolean): void {
    const record = this.store.customers.get(customerId);
    if (!record) throw noSuchResource('customer', customerId);
    record.failPayments = fail;
  }

  private paymentSucceeds(customerId: string): boolean {
    return !this.store.customers.get(customerId)?.failPayments;
  }

  /**
   * The portal's card form: the card becomes the customer's default payment
   * method (`invoice_settings.default_payment_method`, `customer.updated`),
   * and decides whether their off-session charges succeed from now on. A
   * card Stripe would decline while saving it is refused and changes nothing.
   */
  saveCard(customerId: string, cardNumber: string): Stripe.Customer {
    const record = this.store.customers.get(customerId);
    if (!record) throw noSuchResource('customer', customerId);
    const number = cardNumber.replace(/[\s-]/g, '');
    if (number !== TEST_CARD_OK && number !== TEST_CARD_CHARGES_FAIL) throw cardDeclined();
    const { customer } = record;
    const before = snapshot(customer);
    record.card = { paymentMethodId: newId('pm', 24), brand: 'visa', last4: number.slice(-4) };
    record.failPayments = number === TEST_CARD_CHARGES_FAIL;
    customer.invoice_settings = { ...customer.invoice_settings, default_payment_method: record.card.paymentMethodId };
    this.emit('customer.updated', customer, previousAttributes(before, customer));
    return customer;
  }

  // Checkout

  getCheckoutSession(id: string): Stripe.Checkout.Session {
    const record = this.store.sessions.get(id);
    if (!record) throw noSuchResource('checkout.session', id);
    return record.session;
  }

  createCheckoutSession(input: CheckoutSessionCreate): Stripe.Checkout.Session {
    if (input.customerId !== null && !this.store.customers.has(input.customerId)) {
      throw noSuchParam('customer', input.customerId, 'customer');
    }
    if (input.lineItems.length === 0) {
      throw invalidRequest('Missing required param: line_items.', 'line_items', 'parameter_missing');
    }
    const prices = input.lineItems.map((line, index) => this.recurringPrice(line.price, `line_items[${index}][price]`));
    const intervals = new Set(prices.map((price) => `${price.recurring?.interval}/${price.recurring?.interval_count}`));
    if (intervals.size > 1) {
      throw invalidRequest('All prices in a subscription must have the same recurring interval.', 'line_items');
    }
    const now = this.clock.now();
    const id = newId('cs_test', 58);
    const lineItems = input.lineItems.map((line, index) => buildLineItem(prices[index] as Stripe.Price, line.quantity));
    const session = buildCheckoutSession(
      {
        id,
        url: `${this.config.publicUrl()}/checkout/${id}`,
        customerId: input.customerId,
        customerEmail: input.customerEmail,
        lineItems,
        successUrl: input.successUrl,
        cancelUrl: input.cancelUrl,
        clientReferenceId: input.clientReferenceId,
        metadata: input.metadata,
        expiresAt: now + this.config.checkoutExpirySeconds,
      },
      now,
    );
    this.store.sessions.set(id, { session, lineItems, subscriptionMetadata: input.subscriptionMetadata });
    return session;
  }

  lineItemsOf(sessionId: string): Stripe.LineItem[] {
    const record = this.store.sessions.get(sessionId);
    if (!record) throw noSuchResource('checkout.session', sessionId);
    return record.lineItems;
  }

  /**
   * The customer pays on the hosted page: the subscription starts, and the
   * session completes. Declined cards leave the session open, as Stripe does.
   */
  completeCheckout(sessionId: string, cardNumber: string = TEST_CARD_OK): Stripe.Checkout.Session {
    const record = this.store.sessions.get(sessionId);
    if (!record) throw noSuchResource('checkout.session', sessionId);
    const { session } = record;
    const now = this.clock.now();
    if (session.status === 'open' && session.expires_at <= now) this.expire(record.session, session.expires_at);
    if (session.status !== 'open') {
      throw invalidRequest(`This Checkout Session is ${session.status ?? 'not open'} and can no longer be paid.`);
    }
    if (cardNumber.replace(/\s/g, '') !== TEST_CARD_OK) throw cardDeclined();

    const customer =
      session.customer === null
        ? this.createCustomer({
            email: session.customer_email,
            name: null,
            description: null,
            phone: null,
            metadata: {},
          })
        : this.getCustomer(String(session.customer));

    const subscriptionId = newId('sub');
    const firstPrice = record.lineItems[0]?.price;
    if (!firstPrice?.recurring) throw new Error(`checkout session ${sessionId} has no recurring line item`);
    const period: Period = {
      start: now,
      end: addIntervals(now, firstPrice.recurring.interval, firstPrice.recurring.interval_count),
    };
    const items = record.lineItems.map((line) => {
      const price = this.store.prices.get(line.price?.id ?? '') ?? (line.price as Stripe.Price);
      return buildSubscriptionItem(price, line.quantity ?? 1, subscriptionId, period, now);
    });
    const subscription = buildSubscription(
      {
        id: subscriptionId,
        customerId: customer.id,
        items,
        metadata: { ...record.subscriptionMetadata },
        currency: session.currency ?? firstPrice.currency,
        latestInvoiceId: null,
        anchor: now,
      },
      now,
    );
    const subscriptionRecord: SubscriptionRecord = { subscription, cycle: 1, pastDueSince: null, openInvoiceIds: [] };
    this.store.subscriptions.set(subscriptionId, subscriptionRecord);
    // The card typed into Checkout pays this one, whatever the card on file would do.
    const invoice = this.issueInvoice(subscriptionRecord, {
      billingReason: 'subscription_create',
      period: { start: now, end: now },
      at: now,
      lines: (invoiceId) => items.map((item) => subscriptionLine(invoiceId, subscription, item, period)),
      paidWithCheckout: true,
    });

    session.status = 'complete';
    session.payment_status = 'paid';
    session.customer = customer.id;
    session.subscription = subscriptionId;
    session.invoice = invoice.id;
    session.url = null;
    session.customer_details = {
      address: null,
      business_name: null,
      email: customer.email,
      individual_name: null,
      name: customer.name ?? null,
      phone: null,
      tax_exempt: 'none',
      tax_ids: [],
    };

    this.emit('customer.subscription.created', subscription);
    this.emit('checkout.session.completed', session);
    this.emit('invoice.paid', invoice);
    return session;
  }

  expireCheckoutSession(id: string): Stripe.Checkout.Session {
    const session = this.getCheckoutSession(id);
    if (session.status !== 'open') {
      throw invalidRequest('Only Checkout Sessions with a status of `open` can be expired.');
    }
    this.expire(session, this.clock.now());
    return session;
  }

  private expire(session: Stripe.Checkout.Session, at: number): void {
    session.status = 'expired';
    session.url = null;
    this.emit('checkout.session.expired', session, undefined, at);
  }

  // Subscriptions

  private requireSubscription(id: string): SubscriptionRecord {
    const record = this.store.subscriptions.get(id);
    if (!record) throw noSuchResource('subscription', id);
    return record;
  }

  getSubscription(id: string): Stripe.Subscription {
    return this.requireSubscription(id).subscription;
  }

  getInvoice(id: string): Stripe.Invoice {
    const invoice = this.store.invoices.get(id);
    if (!invoice) throw noSuchResource('invoice', id);
    return invoice;
  }

  /**
   * Item quantity and price changes, metadata, cancel_at_period_end. A change
   * to the items is prorated as Stripe does (unless proration_behavior is
   * `none`): pending invoice items credit the unused time at the old
   * quantity and charge the remaining time at the new one, billed with the
   * next renewal, or at once on their own invoice with `always_invoice`.
   */
  updateSubscription(id: string, update: SubscriptionUpdate): Stripe.Subscription {
    const record = this.requireSubscription(id);
    const { subscription } = record;
    if (
      subscription.status === 'canceled' &&
      [update.items, update.cancelAtPeriodEnd, update.prorationBehavior, update.prorationDate, update.paymentBehavior].some(
        (field) => field !== undefined,
      )
    ) {
      throw canceledSubscriptionFields();
    }
    const now = this.clock.now();
    const period = currentPeriod(subscription);
    const behavior = update.prorationBehavior ?? 'create_prorations';
    const prorationDate = this.prorationDate(subscription, update.prorationDate, 'proration_date');
    const items = this.changedItems(subscription, update.items);
    const prorations = behavior === 'none' ? [] : this.prorations(subscription, items, prorationDate);

    const before = snapshot(subscription);
    subscription.items = itemList(id, items);
    subscription.metadata = applyMetadata(subscription.metadata, update.metadata);
    if (update.cancelAtPeriodEnd !== undefined && update.cancelAtPeriodEnd !== subscription.cancel_at_period_end) {
      subscription.cancel_at_period_end = update.cancelAtPeriodEnd;
      subscription.cancel_at = update.cancelAtPeriodEnd ? period.end : null;
      subscription.canceled_at = update.cancelAtPeriodEnd ? now : null;
      subscription.cancellation_details = {
        ...(subscription.cancellation_details ?? { comment: null, feedback: null, feedback_option: null }),
        reason: update.cancelAtPeriodEnd ? 'cancellation_requested' : null,
      };
    }
    if (update.cancellationDetails) this.applyCancellationDetails(subscription, update.cancellationDetails);
    for (const item of prorations) this.store.invoiceItems.set(item.id, item);
    const invoice =
      behavior === 'always_invoice' && prorations.length > 0
        ? this.issueInvoice(record, {
            billingReason: 'subscription_update',
            period: { start: prorationDate, end: prorationDate },
            at: now,
            lines: () => [],
          })
        : null;
    const previous = previousAttributes(before, subscription);
    if (Object.keys(previous).length > 0) this.emit('customer.subscription.updated', subscription, previous);
    if (invoice) this.emitInvoiceOutcome(invoice, now);
    return subscription;
  }

  /** The subscription's items after `changes` (add, change price or quantity, delete), checked as Stripe checks them. */
  private changedItems(subscription: Stripe.Subscription, changes: SubscriptionItemUpdate[] = []): Stripe.SubscriptionItem[] {
    const now = this.clock.now();
    const period = currentPeriod(subscription);
    const items = subscription.items.data.map((item) => ({ ...item }));
    for (const change of changes) {
      if (change.id === undefined) {
        if (change.deleted) throw invalidRequest('Missing required param: id.', `${change.param}[id]`, 'parameter_missing');
        if (change.price === undefined) {
          throw invalidRequest(`Missing required param: ${change.param}[price].`, `${change.param}[price]`, 'parameter_missing');
        }
        const price = this.recurringPrice(change.price, `${change.param}[price]`);
        items.push(buildSubscriptionItem(price, change.quantity ?? 1, subscription.id, period, now));
        continue;
      }
      const index = items.findIndex((item) => item.id === change.id);
      const item = items[index];
      if (!item) throw noSuchParam('subscription item', change.id, `${change.param}[id]`);
      if (change.deleted) {
        items.splice(index, 1);
        continue;
      }
      if (change.price !== undefined && change.price !== item.price.id) {
        item.price = this.recurringPrice(change.price, `${change.param}[price]`);
        item.plan = planFromPrice(item.price);
        // Stripe resets the quantity of an item that changes price unless one is given.
        item.quantity = 1;
      }
      if (change.quantity !== undefined) item.quantity = change.quantity;
    }
    if (items.length === 0) throw invalidRequest('A subscription must keep at least one item.', 'items');
    const intervals = new Set(
      items.map((item) => `${item.price.recurring?.interval}/${item.price.recurring?.interval_count}`),
    );
    if (intervals.size > 1) {
      throw invalidRequest('All prices in a subscription must have the same recurring interval.', 'items');
    }
    return items;
  }

  /** The proration date asked for, or now; Stripe requires it to fall within the current period. */
  private prorationDate(subscription: Stripe.Subscription, requested: number | undefined, param: string): number {
    if (requested === undefined) return this.clock.now();
    const period = currentPeriod(subscription);
    if (requested < period.start || requested > period.end) {
      throw invalidRequest(
        `The proration date must be within the current billing period (${period.start} to ${period.end}).`,
        param,
      );
    }
    return requested;
  }

  /**
   * The invoice items a change from the subscription's current items to
   * `after` creates at `at`: for each item whose price or quantity changed
   * (or that went away), a credit for its unused time; for each changed or
   * new item, a charge for the remaining time. Not stored.
   */
  private prorations(subscription: Stripe.Subscription, after: Stripe.SubscriptionItem[], at: number): Stripe.InvoiceItem[] {
    const fullPeriod = currentPeriod(subscription);
    if (at >= fullPeriod.end) return [];
    const now = this.clock.now();
    const proration = (item: Stripe.SubscriptionItem, kind: 'unused' | 'remaining'): Stripe.InvoiceItem[] =>
      (item.quantity ?? 1) === 0
        ? []
        : [
            buildProration(
              {
                customerId: String(subscription.customer),
                subscription,
                subscriptionItemId: item.id,
                price: item.price,
                quantity: item.quantity ?? 1,
                kind,
                period: { start: at, end: fullPeriod.end },
                fullPeriod,
              },
              now,
            ),
          ];
    const before = subscription.items.data;
    const changed = before.flatMap((old) => {
      const next = after.find((item) => item.id === old.id);
      if (next && next.price.id === old.price.id && next.quantity === old.quantity) return [];
      return [...proration(old, 'unused'), ...(next ? proration(next, 'remaining') : [])];
    });
    const added = after.filter((item) => !before.some((old) => old.id === item.id)).flatMap((item) => proration(item, 'remaining'));
    return [...changed, ...added];
  }

  /** Invoice items of the subscription not billed yet, newest first as Stripe lists them on an invoice. */
  private pendingItems(subscriptionId: string): Stripe.InvoiceItem[] {
    return [...this.store.invoiceItems.values()]
      .filter((item) => item.invoice === null && item.parent?.subscription_details?.subscription === subscriptionId)
      .sort((a, b) => b.date - a.date);
  }

  /**
   * Finalizes an invoice for the subscription now and charges it: the
   * subscription's pending invoice items come first, then `lines`; the
   * customer's credit balance is applied; it gets a number and a hosted page.
   * A failed charge leaves it open and the subscription past_due, to be
   * retried as the clock moves. The caller emits the events.
   */
  private issueInvoice(
    record: SubscriptionRecord,
    input: {
      billingReason: Stripe.Invoice.BillingReason;
      period: Period;
      at: number;
      lines: (invoiceId: string) => Stripe.InvoiceLineItem[];
      /** Paid by the card just typed into Checkout rather than charged off-session. */
      paidWithCheckout?: boolean;
    },
  ): Stripe.Invoice {
    const { subscription } = record;
    const customer = this.getCustomer(String(subscription.customer));
    const id = newId('in', 24);
    const pending = this.pendingItems(subscription.id);
    const lines = [...pending.map((item) => invoiceItemLine(id, subscription, item, true)), ...input.lines(id)];
    const due = Math.max(0, lines.reduce((sum, line) => sum + line.amount, customer.balance));
    const paid = input.paidWithCheckout === true || due === 0 || this.paymentSucceeds(customer.id);
    const sequence = customer.next_invoice_sequence ?? 1;
    const invoice = buildInvoice({
      id,
      customer,
      subscription,
      billingReason: input.billingReason,
      period: input.period,
      lines,
      status: paid ? 'paid' : 'open',
      number: `${customer.invoice_prefix}-${String(sequence).padStart(4, '0')}`,
      hostedInvoiceUrl: `${this.config.publicUrl()}/invoices/${id}`,
      created: input.at,
    });
    customer.next_invoice_sequence = sequence + 1;
    customer.balance = invoice.ending_balance ?? customer.balance;
    for (const item of pending) item.invoice = id;
    this.store.invoices.set(id, invoice);
    subscription.latest_invoice = id;
    if (!paid) {
      record.openInvoiceIds.push(id);
      if (subscription.status !== 'past_due') {
        subscription.status = 'past_due';
        record.pastDueSince = input.at;
      }
    }
    return invoice;
  }

  private emitInvoiceOutcome(invoice: Stripe.Invoice, at: number): void {
    if (invoice.status === 'paid') this.emit('invoice.paid', invoice, undefined, at);
    else this.emit('invoice.payment_failed', invoice, undefined, at);
  }

  /**
   * POST /v1/invoices/create_preview for a subscription: the invoice Stripe
   * would issue next, with a proposed item change applied, computed on the
   * emulator's clock and never stored. With `always_invoice` and a change,
   * that is the invoice the change itself would issue now (its prorations
   * and the other pending items); otherwise the renewal at period end: the
   * pending items, the change's prorations, and the next period at the new
   * quantities.
   */
  previewInvoice(request: InvoicePreviewRequest): Stripe.Invoice {
    const record = this.store.subscriptions.get(request.subscriptionId);
    if (!record) throw noSuchParam('subscription', request.subscriptionId, 'subscription');
    const { subscription } = record;
    if (request.customerId !== undefined && request.customerId !== subscription.customer) {
      throw invalidRequest(`The subscription ${subscription.id} does not belong to the customer ${request.customerId}.`, 'customer');
    }
    const customer = this.getCustomer(String(subscription.customer));
    const noUpcoming = invalidRequest(
      `No upcoming invoices for customer: ${customer.id}`,
      undefined,
      'invoice_upcoming_none',
    );
    if (subscription.status === 'canceled') throw noUpcoming;
    const behavior = request.prorationBehavior ?? 'create_prorations';
    if (request.prorationDate !== undefined) {
      if (request.items === undefined) {
        throw invalidRequest(
          'subscription_details[proration_date] needs subscription_details[items].',
          'subscription_details[proration_date]',
        );
      }
      if (behavior === 'none') {
        throw invalidRequest(
          "subscription_details[proration_date] cannot be used with subscription_details[proration_behavior]=none.",
          'subscription_details[proration_date]',
        );
      }
    }
    const now = this.clock.now();
    const at = this.prorationDate(subscription, request.prorationDate, 'subscription_details[proration_date]');
    const items = request.items === undefined ? subscription.items.data : this.changedItems(subscription, request.items);
    const prorations = request.items === undefined || behavior === 'none' ? [] : this.prorations(subscription, items, at);
    const pending = this.pendingItems(subscription.id);
    const id = newId('upcoming_in', 24);
    const pendingLines = [
      ...prorations.map((item) => invoiceItemLine(id, subscription, item, false)),
      ...pending.map((item) => invoiceItemLine(id, subscription, item, true)),
    ];
    const immediate = behavior === 'always_invoice' && request.items !== undefined;
    const period = currentPeriod(subscription);
    // A subscription set to end at period end has no renewal to preview.
    if (!immediate && subscription.cancel_at_period_end) throw noUpcoming;
    const lines = immediate
      ? pendingLines
      : [...pendingLines, ...items.map((item) => subscriptionLine(id, subscription, item, this.nextPeriod(record)))];
    if (lines.length === 0) throw noUpcoming;
    return buildInvoice({
      id,
      customer,
      subscription,
      billingReason: 'upcoming',
      period: immediate ? { start: at, end: at } : period,
      lines,
      status: 'draft',
      number: null,
      hostedInvoiceUrl: null,
      created: immediate ? now : period.end,
      ...(prorations.length > 0 && { prorationDate: at }),
    });
  }

  /** The period after the current one, counted from the billing cycle anchor. */
  private nextPeriod(record: SubscriptionRecord): Period {
    const { subscription } = record;
    const recurring = subscription.items.data[0]?.price.recurring;
    if (!recurring) throw new StripeApiError(500, 'api_error', `subscription ${subscription.id} has no recurring price`);
    return {
      start: currentPeriod(subscription).end,
      end: addIntervals(subscription.billing_cycle_anchor, recurring.interval, (record.cycle + 1) * recurring.interval_count),
    };
  }

  /** GET /v1/invoiceitems: newest first. */
  invoiceItemsOf(filter: { customer?: string; pending?: boolean; invoice?: string }): Stripe.InvoiceItem[] {
    return [...this.store.invoiceItems.values()]
      .filter(
        (item) =>
          (filter.customer === undefined || item.customer === filter.customer) &&
          (filter.pending === undefined || (item.invoice === null) === filter.pending) &&
          (filter.invoice === undefined || item.invoice === filter.invoice),
      )
      .reverse()
      .sort((a, b) => b.date - a.date);
  }

  getInvoiceItem(id: string): Stripe.InvoiceItem {
    const item = this.store.invoiceItems.get(id);
    if (!item) throw noSuchResource('invoiceitem', id);
    return item;
  }


  private applyCancellationDetails(
    subscription: Stripe.Subscription,
    details: NonNullable<SubscriptionUpdate['cancellationDetails']>,
  ): void {
    const current = subscription.cancellation_details ?? { comment: null, feedback: null, feedback_option: null, reason: null };
    subscription.cancellation_details = {
      ...current,
      ...(details.comment !== undefined && { comment: details.comment }),
      ...(details.feedback !== undefined && { feedback: details.feedback as Stripe.Subscription.CancellationDetails.Feedback }),
    };
  }

  /** Cancels now (DELETE /v1/subscriptions/:id, or the portal's cancel button). */
  cancelSubscription(id: string, details: SubscriptionUpdate['cancellationDetails'] = {}): Stripe.Subscription {
    const record = this.requireSubscription(id);
    const { subscription } = record;
    if (subscription.status === 'canceled') {
      throw invalidRequest(`Subscription ${id} is already canceled.`, 'id');
    }
    this.endSubscription(record, this.clock.now(), 'cancellation_requested');
    this.applyCancellationDetails(subscription, details);
    this.emit('customer.subscription.deleted', subscription);
    return subscription;
  }

  private endSubscription(
    record: SubscriptionRecord,
    at: number,
    reason: Stripe.Subscription.CancellationDetails.Reason,
  ): void {
    const { subscription } = record;
    subscription.status = 'canceled';
    subscription.canceled_at = subscription.canceled_at ?? at;
    subscription.ended_at = at;
    subscription.cancellation_details = {
      ...(subscription.cancellation_details ?? { comment: null, feedback: null, feedback_option: null }),
      reason,
    };
    record.pastDueSince = null;
  }

  // Customer portal

  createPortalSession(customerId: string, returnUrl: string | null): Stripe.BillingPortal.Session {
    if (!this.store.customers.has(customerId)) throw noSuchParam('customer', customerId, 'customer');
    const id = newId('bps');
    const session = buildPortalSession(id, customerId, returnUrl, `${this.config.publicUrl()}/portal/${id}`, this.clock.now());
    this.store.portalSessions.set(id, session);
    return session;
  }

  getPortalSession(id: string): Stripe.BillingPortal.Session {
    const session = this.store.portalSessions.get(id);
    if (!session) throw noSuchResource('billing_portal.session', id);
    return session;
  }

  subscriptionsOf(customerId: string): Stripe.Subscription[] {
    return [...this.store.subscriptions.values()]
      .map((record) => record.subscription)
      .filter((subscription) => subscription.customer === customerId);
  }

  // Time

  /**
   * Moves the clock forward and plays out what Stripe would do meanwhile, in
   * time order: open checkout sessions expire; subscriptions renew at period
   * end (paid, or past_due when the customer's payments fail); a past_due
   * subscription is paid on the next advance once payments succeed again, or
   * lapses to unpaid/canceled when the retry window runs out; a subscription
   * set to cancel at period end ends there.
   */
  advanceClock(seconds: number): AdvanceResult {
    if (!Number.isFinite(seconds) || seconds <= 0) throw invalidRequest('Advance the clock by a positive number of seconds.', 'seconds');
    let events: Array<{ id: string; type: string }> = [];
    this.run(null, () => {
      const from = this.clock.now();
      const to = this.clock.advance(Math.round(seconds));
      for (const { session } of this.store.sessions.values()) {
        if (session.status === 'open' && session.expires_at <= to) this.expire(session, session.expires_at);
      }
      for (let guard = 0; guard < 10_000; guard++) {
        const step = this.nextStep(from, to);
        if (!step) break;
        this.applyStep(step);
      }
      events = (this.batch ?? []).map(({ event }) => ({ id: event.id, type: event.type }));
    });
    return { now: this.clock.now(), events };
  }

  private nextStep(from: number, to: number): Step | null {
    let next: Step | null = null;
    for (const record of this.store.subscriptions.values()) {
      const step = this.dueStep(record, from);
      if (step && step.at <= to && (!next || step.at < next.at)) next = step;
    }
    return next;
  }

  private dueStep(record: SubscriptionRecord, from: number): Step | null {
    const { subscription } = record;
    const periodEnd = currentPeriod(subscription).end;
    if (subscription.status === 'past_due') {
      if (this.paymentSucceeds(String(subscription.customer))) return { record, kind: 'retry', at: from };
      const deadline = (record.pastDueSince ?? periodEnd) + this.config.retryWindowSeconds;
      if (deadline <= periodEnd) return { record, kind: 'retries_exhausted', at: deadline };
      return { record, kind: 'period_end', at: periodEnd };
    }
    if (subscription.status === 'active' || subscription.status === 'trialing') {
      return { record, kind: 'period_end', at: periodEnd };
    }
    return null;
  }

  private applyStep({ record, kind, at }: Step): void {
    const { subscription } = record;
    const before = snapshot(subscription);
    if (kind === 'retry') {
      for (const invoiceId of record.openInvoiceIds) {
        const invoice = this.getInvoice(invoiceId);
        invoice.status = 'paid';
        invoice.amount_paid = invoice.amount_due;
        invoice.amount_remaining = 0;
        invoice.attempt_count += 1;
        invoice.auto_advance = false;
        invoice.status_transitions.paid_at = at;
        this.emit('invoice.paid', invoice, undefined, at);
      }
      record.openInvoiceIds = [];
      record.pastDueSince = null;
      subscription.status = 'active';
      this.emit('customer.subscription.updated', subscription, previousAttributes(before, subscription), at);
      return;
    }
    if (kind === 'retries_exhausted') {
      if (this.config.afterRetries === 'canceled') {
        this.endSubscription(record, at, 'payment_failed');
        this.emit('customer.subscription.deleted', subscription, undefined, at);
      } else {
        subscription.status = 'unpaid';
        this.emit('customer.subscription.updated', subscription, previousAttributes(before, subscription), at);
      }
      return;
    }
    if (subscription.cancel_at_period_end || (subscription.cancel_at !== null && subscription.cancel_at <= at)) {
      this.endSubscription(record, at, 'cancellation_requested');
      this.emit('customer.subscription.deleted', subscription, undefined, at);
      return;
    }
    this.renew(record, at, before);
  }

  private renew(record: SubscriptionRecord, at: number, before: Stripe.Subscription): void {
    const { subscription } = record;
    const ended = currentPeriod(subscription);
    const next = this.nextPeriod(record);
    record.cycle += 1;
    for (const item of subscription.items.data) {
      item.current_period_start = next.start;
      item.current_period_end = next.end;
    }
    const invoice = this.issueInvoice(record, {
      billingReason: 'subscription_cycle',
      period: ended,
      at,
      lines: (invoiceId) => subscription.items.data.map((item) => subscriptionLine(invoiceId, subscription, item, next)),
    });
    this.emit('customer.subscription.updated', subscription, previousAttributes(before, subscription), at);
    this.emitInvoiceOutcome(invoice, at);
  }
}
