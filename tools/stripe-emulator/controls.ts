/**
 * Operator controls over HTTP (`/_emulator/*`, JSON in and out). Each one
 * calls the same function of the programmatic handle, so a test that starts
 * the emulator in-process and a script driving a standalone one have the
 * same powers. Unauthenticated: the emulator listens on loopback only.
 */
import type Stripe from 'stripe';
import type { AdvanceResult } from './billing.ts';
import { invalidRequest } from './errors.ts';
import { json, type Reply, type Route } from './http.ts';
import type { CustomerRecord, SubscriptionRecord } from './store.ts';
import type { DeliveryRecord, PulledEvent } from './webhooks.ts';

export interface Faults {
  /** Added before every /v1 response. */
  latencyMs: number;
  /** The next N /v1 calls that reach an endpoint fail with `status`. */
  failNext: number;
  status: 500 | 429;
  /**
   * The failure's Stripe-Should-Retry answer. 500: `true` nothing ran, a
   * retry may succeed; `false` the 500 is kept under the request's
   * Idempotency-Key and replayed, so retrying is pointless; `null` no
   * header (the SDK then retries, as for any 5xx). 429: `null` a rate
   * limit (`rate_limit`, Retry-After: 1, which the SDK does not retry);
   * `true` a lock conflict (`lock_timeout`, which it does).
   */
  shouldRetry: boolean | null;
  /** Every webhook is delivered twice. */
  duplicateDeliveries: boolean;
  /** The events of one operation are delivered in reverse order. */
  reorderDeliveries: boolean;
}

export const NO_FAULTS: Readonly<Faults> = {
  latencyMs: 0,
  failNext: 0,
  status: 500,
  shouldRetry: null,
  duplicateDeliveries: false,
  reorderDeliveries: false,
};

export interface PullResult {
  events: PulledEvent[];
  /** Pass back as `since` to get only newer events. */
  cursor: number;
}

export interface EmulatorState {
  now: number;
  webhookUrl: string | null;
  faults: Faults;
  prices: Stripe.Price[];
  customers: Array<Pick<CustomerRecord, 'customer' | 'failPayments'>>;
  subscriptions: Array<Pick<SubscriptionRecord, 'subscription' | 'pastDueSince' | 'openInvoiceIds'>>;
  checkoutSessions: Stripe.Checkout.Session[];
  portalSessions: Stripe.BillingPortal.Session[];
  invoices: Stripe.Invoice[];
  invoiceItems: Stripe.InvoiceItem[];
  eventCount: number;
}

/** What the operator can do; returned by startStripeEmulator alongside url/port/stop. */
export interface EmulatorControls {
  /** The emulator clock, Unix seconds. */
  now(): number;
  advanceClock(by: { seconds?: number; days?: number }): AdvanceResult;
  /** While set, the customer's off-session charges (renewals, retries, immediate proration invoices) are declined. */
  setPaymentFailure(customerId: string, fail: boolean): void;
  /** Merges into the current faults and returns them. */
  setFaults(faults: Partial<Faults>): Faults;
  faults(): Faults;
  setWebhookUrl(url: string | null): void;
  /** Stored events after `since` (a cursor from a previous pull, 0 for all), each with payload and a fresh signature. */
  pullEvents(since?: number): Promise<PullResult>;
  deliveries(): readonly DeliveryRecord[];
  /** Resolves when every webhook delivery has succeeded or exhausted its attempts. */
  waitForDeliveries(timeoutMs?: number): Promise<void>;
  /** Pays a Checkout Session with the 4242 test card, as the hosted page's button does. */
  payCheckoutSession(sessionId: string): Stripe.Checkout.Session;
  /** Empties every store, clears faults and failing customers, rewinds the clock, re-seeds the prices. */
  reset(): void;
  state(): EmulatorState;
}

export interface ControlContext {
  controls: EmulatorControls;
  body: Record<string, unknown>;
  query: URLSearchParams;
}

function numberField(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidRequest(`${key} must be a number between ${min} and ${max}.`, key);
  }
  return value;
}

function booleanField(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`${key} must be true or false.`, key);
  return value;
}

function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw invalidRequest(`Unknown field: ${key}. Expected one of ${allowed.join(', ')}.`, key);
  }
}

function advanceClock({ controls, body }: ControlContext): Reply {
  onlyFields(body, ['seconds', 'days']);
  const seconds = numberField(body, 'seconds', 0, 10 * 365 * 86_400);
  const days = numberField(body, 'days', 0, 10 * 365);
  if (seconds === undefined && days === undefined) throw invalidRequest('Give seconds or days to advance by.', 'seconds');
  return json(200, controls.advanceClock({ seconds, days }));
}

function setPaymentFailure({ controls, body }: ControlContext, { id }: Record<string, string>): Reply {
  onlyFields(body, ['fail']);
  const fail = booleanField(body, 'fail') ?? true;
  controls.setPaymentFailure(id ?? '', fail);
  return json(200, { customer: id, failPayments: fail });
}

function setFaults({ controls, body }: ControlContext): Reply {
  onlyFields(body, Object.keys(NO_FAULTS));
  const status = body.status;
  if (status !== undefined && status !== 500 && status !== 429) throw invalidRequest('status must be 500 or 429.', 'status');
  const faults: Partial<Faults> = {};
  const latencyMs = numberField(body, 'latencyMs', 0, 60_000);
  const failNext = numberField(body, 'failNext', 0, 1_000);
  const shouldRetry = body.shouldRetry === null ? null : booleanField(body, 'shouldRetry');
  const current = controls.faults();
  if ((status ?? current.status) === 429 && (shouldRetry === undefined ? current.shouldRetry : shouldRetry) === false) {
    throw invalidRequest('A 429 is a rate limit (shouldRetry null) or a lock timeout (true); Stripe never says not to retry one.', 'shouldRetry');
  }
  const duplicateDeliveries = booleanField(body, 'duplicateDeliveries');
  const reorderDeliveries = booleanField(body, 'reorderDeliveries');
  if (latencyMs !== undefined) faults.latencyMs = latencyMs;
  if (failNext !== undefined) faults.failNext = Math.floor(failNext);
  if (status !== undefined) faults.status = status;
  if (shouldRetry !== undefined) faults.shouldRetry = shouldRetry;
  if (duplicateDeliveries !== undefined) faults.duplicateDeliveries = duplicateDeliveries;
  if (reorderDeliveries !== undefined) faults.reorderDeliveries = reorderDeliveries;
  return json(200, controls.setFaults(faults));
}

function setWebhookUrl({ controls, body }: ControlContext): Reply {
  onlyFields(body, ['url']);
  const url = body.url;
  if (url !== null && (typeof url !== 'string' || !/^https?:\/\//.test(url))) {
    throw invalidRequest('url must be an http(s) URL, or null to stop delivering.', 'url');
  }
  controls.setWebhookUrl(url);
  return json(200, { url });
}

async function pullEvents({ controls, query }: ControlContext): Promise<Reply> {
  const since = Number(query.get('since') ?? '0');
  if (!Number.isInteger(since) || since < 0) throw invalidRequest('since must be a cursor from a previous pull (or 0).', 'since');
  return json(200, await controls.pullEvents(since));
}

function payCheckoutSession({ controls }: ControlContext, { id }: Record<string, string>): Reply {
  return json(200, controls.payCheckoutSession(id ?? ''));
}

export const controlRoutes: ReadonlyArray<Route<ControlContext>> = [
  { method: 'GET', pattern: '/_emulator/clock', handler: ({ controls }) => json(200, { now: controls.now() }) },
  { method: 'POST', pattern: '/_emulator/clock/advance', handler: advanceClock },
  { method: 'POST', pattern: '/_emulator/customers/:id/fail-payments', handler: setPaymentFailure },
  { method: 'GET', pattern: '/_emulator/faults', handler: ({ controls }) => json(200, controls.faults()) },
  { method: 'POST', pattern: '/_emulator/faults', handler: setFaults },
  { method: 'POST', pattern: '/_emulator/webhook', handler: setWebhookUrl },
  { method: 'GET', pattern: '/_emulator/events', handler: pullEvents },
  {
    method: 'GET',
    pattern: '/_emulator/deliveries',
    handler: ({ controls }) => json(200, { deliveries: controls.deliveries() }),
  },
  { method: 'POST', pattern: '/_emulator/checkout/:id/pay', handler: payCheckoutSession },
  {
    method: 'POST',
    pattern: '/_emulator/reset',
    handler: ({ controls }) => {
      controls.reset();
      return json(200, { reset: true });
    },
  },
  { method: 'GET', pattern: '/_emulator/state', handler: ({ controls }) => json(200, controls.state()) },
];
