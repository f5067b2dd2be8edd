/**
 * The emulator's state: Stripe objects by id, the emulator-only facts beside
 * them (a customer's "next payment fails" switch, where a subscription is in
 * its billing cycle), the event log and idempotency records. In memory only.
 */
import type Stripe from 'stripe';
import type { Period } from './objects.ts';

/** The events the emulator emits. */
export type EmittedEvent =
  | Stripe.CustomerCreatedEvent
  | Stripe.CustomerUpdatedEvent
  | Stripe.CustomerDeletedEvent
  | Stripe.CustomerSubscriptionCreatedEvent
  | Stripe.CustomerSubscriptionUpdatedEvent
  | Stripe.CustomerSubscriptionDeletedEvent
  | Stripe.CheckoutSessionCompletedEvent
  | Stripe.CheckoutSessionExpiredEvent
  | Stripe.InvoicePaidEvent
  | Stripe.InvoicePaymentFailedEvent;

export type EmittedEventType = EmittedEvent['type'];
export type EventOf<T extends EmittedEventType> = Extract<EmittedEvent, { type: T }>;

export interface StoredEvent {
  /** Position in the log, the cursor for pull mode. */
  sequence: number;
  event: EmittedEvent;
  /** The exact body that is signed and delivered. */
  payload: string;
}

export interface CustomerRecord {
  customer: Stripe.Customer;
  /** Off-session charges (renewals, retries, immediate invoices) are declined: the operator switch, or a card on file that declines. */
  failPayments: boolean;
  /** The default card saved through the portal, shown there; Checkout's card is not kept. */
  card: SavedCard | null;
}

export interface SavedCard {
  paymentMethodId: string;
  brand: string;
  last4: string;
}

export interface SessionRecord {
  session: Stripe.Checkout.Session;
  lineItems: Stripe.LineItem[];
  /** subscription_data[metadata]: copied onto the subscription when the session completes. */
  subscriptionMetadata: Record<string, string>;
}

export interface SubscriptionRecord {
  subscription: Stripe.Subscription;
  /** How many periods have started since billing_cycle_anchor (1 for the first period). */
  cycle: number;
  /** When the first unpaid renewal failed; the retry window counts from here. */
  pastDueSince: number | null;
  openInvoiceIds: string[];
}

export interface IdempotencyRecord {
  method: string;
  path: string;
  /** Canonical form of the decoded parameters, to refuse reuse with different ones. */
  fingerprint: string;
  status: number;
  body: string;
  /** Stripe-Should-Retry and the like, replayed with the body. */
  headers: Record<string, string>;
  requestId: string;
  /** Emulator time of the first request: keys expire 24 hours later. */
  createdAt: number;
}

export class Store {
  readonly customers = new Map<string, CustomerRecord>();
  readonly prices = new Map<string, Stripe.Price>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  readonly invoices = new Map<string, Stripe.Invoice>();
  readonly portalSessions = new Map<string, Stripe.BillingPortal.Session>();
  /** Pending invoice items (prorations) and those already billed, by id. */
  readonly invoiceItems = new Map<string, Stripe.InvoiceItem>();
  readonly idempotency = new Map<string, IdempotencyRecord>();
  /** Keys of requests still running: a second request with one of them is a 409. */
  readonly idempotencyInFlight = new Set<string>();
  events: StoredEvent[] = [];
  private nextSequence = 1;

  appendEvent(event: EmittedEvent): StoredEvent {
    const stored: StoredEvent = { sequence: this.nextSequence++, event, payload: JSON.stringify(event, null, 2) };
    this.events.push(stored);
    return stored;
  }

  findEvent(id: string): StoredEvent | undefined {
    return this.events.find((stored) => stored.event.id === id);
  }

  clear(): void {
    this.customers.clear();
    this.prices.clear();
    this.sessions.clear();
    this.subscriptions.clear();
    this.invoices.clear();
    this.invoiceItems.clear();
    this.portalSessions.clear();
    this.idempotency.clear();
    this.idempotencyInFlight.clear();
    // The sequence keeps counting, so a pull-mode cursor taken before a reset stays valid.
    this.events = [];
  }

  /** Any stored object by its id, for `expand`. */
  lookup(id: string): unknown {
    if (id.startsWith('cus_')) return this.customers.get(id)?.customer;
    if (id.startsWith('sub_')) return this.subscriptions.get(id)?.subscription;
    if (id.startsWith('in_')) return this.invoices.get(id);
    if (id.startsWith('cs_')) return this.sessions.get(id)?.session;
    if (id.startsWith('ii_')) return this.invoiceItems.get(id);
    return this.prices.get(id);
  }
}

export function currentPeriod(subscription: Stripe.Subscription): Period {
  const item = subscription.items.data[0];
  if (!item) throw new Error(`subscription ${subscription.id} has no items`);
  return { start: item.current_period_start, end: item.current_period_end };
}
