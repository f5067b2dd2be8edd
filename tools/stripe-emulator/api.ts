/**
 * The `/v1` endpoints the app uses. Each handler reads its parameters
 * strictly (an unknown parameter is a 400, as in Stripe, rather than being
 * silently ignored), calls a Billing operation, and answers with the object,
 * expanded as asked.
 */
import type Stripe from 'stripe';
import type { Billing, EventRequest, ProrationBehavior, SubscriptionItemUpdate } from './billing.ts';
import type { BillingInterval } from './clock.ts';
import { invalidRequest, noSuchParam, noSuchResource } from './errors.ts';
import { applyMetadata, type Params } from './form.ts';
import { json, type Reply, type Route } from './http.ts';
import { newId } from './ids.ts';
import { snapshot } from './objects.ts';

export interface ApiContext {
  billing: Billing;
  params: Params;
  request: EventRequest;
}

const SUBSCRIPTION_STATUSES = [
  'active',
  'all',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
] as const;

const PAGINATION = ['limit', 'starting_after', 'ending_before', 'expand'];
const PRORATION_BEHAVIORS: readonly ProrationBehavior[] = ['always_invoice', 'create_prorations', 'none'];

// Expansion

type Expandable = Record<string, unknown>;

function isRecord(value: unknown): value is Expandable {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expandSegments(billing: Billing, target: Expandable, segments: string[], path: string): void {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const cannot = invalidRequest(`This property cannot be expanded (${path}).`, 'expand');
  let value = target[head];
  if (value === null) return;
  if (head === 'line_items' && target.object === 'checkout.session' && typeof target.id === 'string') {
    value = lineItemList(billing, target.id);
  } else if (typeof value === 'string') {
    const found = billing.store.lookup(value);
    if (found === undefined) throw cannot;
    value = snapshot(found);
  }
  if (Array.isArray(value) && rest.length > 0) {
    for (const element of value) {
      if (!isRecord(element)) throw cannot;
      expandSegments(billing, element, rest, path);
    }
  } else if (isRecord(value)) {
    expandSegments(billing, value, rest, path);
  } else {
    throw cannot;
  }
  target[head] = value;
}

/** Applies `expand[]`: ids become the objects they name, `line_items` becomes the session's list. */
function respond(context: ApiContext, object: object, status = 200): Reply {
  const paths = context.params.strings('expand');
  const body = snapshot(object) as Expandable;
  for (const path of paths) {
    if (path.split('.').length > 4) throw invalidRequest(`You cannot expand more than 4 levels of a property (${path}).`, 'expand');
    expandSegments(context.billing, body, path.split('.'), path);
  }
  return json(status, body);
}

// Lists

function newestFirst<T extends { created: number }>(items: Iterable<T>): T[] {
  return [...items].reverse().sort((a, b) => b.created - a.created);
}

/** Cursor pagination over items already in Stripe's order (newest first). */
function page<T extends { id: string }>(params: Params, items: T[], url: string): Stripe.ApiList<T> {
  const limit = params.integer('limit', 1, 100) ?? 10;
  const startingAfter = params.string('starting_after');
  const endingBefore = params.string('ending_before');
  const position = (id: string, param: string): number => {
    const index = items.findIndex((item) => item.id === id);
    if (index < 0) throw noSuchParam('object', id, param);
    return index;
  };
  let data: T[];
  let hasMore: boolean;
  if (startingAfter !== undefined) {
    const from = position(startingAfter, 'starting_after') + 1;
    data = items.slice(from, from + limit);
    hasMore = items.length > from + limit;
  } else if (endingBefore !== undefined) {
    const to = position(endingBefore, 'ending_before');
    data = items.slice(Math.max(0, to - limit), to);
    hasMore = to - limit > 0;
  } else {
    data = items.slice(0, limit);
    hasMore = items.length > limit;
  }
  return { object: 'list', data, has_more: hasMore, url };
}

function lineItemList(billing: Billing, sessionId: string): Stripe.ApiList<Stripe.LineItem> {
  return {
    object: 'list',
    data: billing.lineItemsOf(sessionId),
    has_more: false,
    url: `/v1/checkout/sessions/${sessionId}/line_items`,
  };
}

// Customers

function customerFields(params: Params) {
  return {
    email: params.nullableString('email'),
    name: params.nullableString('name'),
    description: params.nullableString('description'),
    phone: params.nullableString('phone'),
    metadata: params.metadata(),
  };
}

const CUSTOMER_PARAMS = ['email', 'name', 'description', 'phone', 'metadata', 'expand'];

function createCustomer(context: ApiContext): Reply {
  const { billing, params } = context;
  const fields = customerFields(params.only(CUSTOMER_PARAMS));
  const customer = billing.run(context.request, () =>
    billing.createCustomer({
      email: fields.email ?? null,
      name: fields.name ?? null,
      description: fields.description ?? null,
      phone: fields.phone ?? null,
      metadata: applyMetadata({}, fields.metadata),
    }),
  );
  return respond(context, customer);
}

function updateCustomer(context: ApiContext, { id }: Record<string, string>): Reply {
  const { billing, params } = context;
  const fields = customerFields(params.only(CUSTOMER_PARAMS));
  const customer = billing.run(context.request, () => billing.updateCustomer(id ?? '', fields));
  return respond(context, customer);
}

function retrieveCustomer(context: ApiContext, { id }: Record<string, string>): Reply {
  context.params.only(['expand']);
  return respond(context, context.billing.getCustomer(id ?? ''));
}

function deleteCustomer(context: ApiContext, { id }: Record<string, string>): Reply {
  context.params.only([]);
  return respond(context, context.billing.run(context.request, () => context.billing.deleteCustomer(id ?? '')));
}

function listCustomers(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only(['email', ...PAGINATION]);
  const email = params.string('email');
  const customers = newestFirst([...billing.store.customers.values()].map((record) => record.customer)).filter(
    (customer) => email === undefined || customer.email === email,
  );
  return respond(context, page(params, customers, '/v1/customers'));
}

// Checkout

/** Accepted so that ordinary app code works, but without effect in the emulator. */
const CHECKOUT_IGNORED = ['payment_method_types', 'allow_promotion_codes', 'billing_address_collection', 'locale'];

function createCheckoutSession(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only([
    'mode',
    'customer',
    'customer_email',
    'line_items',
    'success_url',
    'cancel_url',
    'client_reference_id',
    'metadata',
    'subscription_data',
    'ui_mode',
    'expand',
    ...CHECKOUT_IGNORED,
  ]);
  const uiMode = params.oneOf('ui_mode', ['elements', 'embedded_page', 'form', 'hosted_page']);
  if (uiMode !== undefined && uiMode !== 'hosted_page') {
    throw invalidRequest(`The local Stripe emulator only implements ui_mode=hosted_page (got ${uiMode}).`, 'ui_mode');
  }
  const mode = params.oneOf('mode', ['payment', 'setup', 'subscription']);
  if (mode === undefined) throw invalidRequest('Missing required param: mode.', 'mode', 'parameter_missing');
  if (mode !== 'subscription') {
    throw invalidRequest(`The local Stripe emulator only implements mode=subscription (got ${mode}).`, 'mode');
  }
  const customerId = params.string('customer') ?? null;
  const customerEmail = params.string('customer_email') ?? null;
  if (customerId !== null && customerEmail !== null) {
    throw invalidRequest('You may only specify one of these parameters: customer, customer_email.', 'customer_email');
  }
  const lineItems = (params.objects('line_items') ?? []).map((line) => {
    line.only(['price', 'quantity']);
    return { price: line.requiredString('price'), quantity: line.integer('quantity', 1, 999_999) ?? 1 };
  });
  const subscriptionData = params.object('subscription_data')?.only(['metadata']);
  const session = billing.run(context.request, () =>
    billing.createCheckoutSession({
      customerId,
      customerEmail,
      lineItems,
      successUrl: params.string('success_url') ?? null,
      cancelUrl: params.string('cancel_url') ?? null,
      clientReferenceId: params.string('client_reference_id') ?? null,
      metadata: applyMetadata({}, params.metadata()),
      subscriptionMetadata: applyMetadata({}, subscriptionData?.metadata()),
    }),
  );
  return respond(context, session);
}

function retrieveCheckoutSession(context: ApiContext, { id }: Record<string, string>): Reply {
  context.params.only(['expand']);
  return respond(context, context.billing.getCheckoutSession(id ?? ''));
}

function listCheckoutLineItems(context: ApiContext, { id }: Record<string, string>): Reply {
  const { billing, params } = context;
  params.only(PAGINATION);
  billing.getCheckoutSession(id ?? '');
  return respond(context, page(params, billing.lineItemsOf(id ?? ''), `/v1/checkout/sessions/${id}/line_items`));
}

function expireCheckoutSession(context: ApiContext, { id }: Record<string, string>): Reply {
  const { billing } = context;
  context.params.only(['expand']);
  const session = billing.run(context.request, () => billing.expireCheckoutSession(id ?? ''));
  return respond(context, session);
}

function listCheckoutSessions(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only(['customer', 'subscription', 'status', ...PAGINATION]);
  const customer = params.string('customer');
  const subscription = params.string('subscription');
  const status = params.oneOf('status', ['open', 'complete', 'expired']);
  const sessions = newestFirst([...billing.store.sessions.values()].map((record) => record.session)).filter(
    (session) =>
      (customer === undefined || session.customer === customer) &&
      (subscription === undefined || session.subscription === subscription) &&
      (status === undefined || session.status === status),
  );
  return respond(context, page(params, sessions, '/v1/checkout/sessions'));
}

// Subscriptions

function retrieveSubscription(context: ApiContext, { id }: Record<string, string>): Reply {
  context.params.only(['expand']);
  return respond(context, context.billing.getSubscription(id ?? ''));
}

function cancellationDetails(params: Params) {
  const details = params.object('cancellation_details')?.only(['comment', 'feedback']);
  if (!details) return undefined;
  return { comment: details.nullableString('comment'), feedback: details.nullableString('feedback') };
}

/** `items[n][id/price/quantity/deleted]`, as subscription updates and invoice previews take them. */
function itemUpdates(params: Params): SubscriptionItemUpdate[] | undefined {
  return params.objects('items')?.map((item): SubscriptionItemUpdate => {
    item.only(['id', 'price', 'quantity', 'deleted']);
    return {
      param: item.prefix,
      id: item.string('id'),
      price: item.string('price'),
      quantity: item.integer('quantity', 0, 999_999),
      deleted: item.boolean('deleted'),
    };
  });
}

function updateSubscription(context: ApiContext, { id }: Record<string, string>): Reply {
  const { billing, params } = context;
  params.only([
    'items',
    'metadata',
    'cancel_at_period_end',
    'proration_behavior',
    'proration_date',
    'payment_behavior',
    'cancellation_details',
    'expand',
  ]);
  const update = {
    items: itemUpdates(params),
    metadata: params.metadata(),
    cancelAtPeriodEnd: params.boolean('cancel_at_period_end'),
    cancellationDetails: cancellationDetails(params),
    prorationBehavior: params.oneOf('proration_behavior', PRORATION_BEHAVIORS),
    prorationDate: params.integer('proration_date', 0),
    paymentBehavior: params.oneOf('payment_behavior', [
      'allow_incomplete',
      'default_incomplete',
      'error_if_incomplete',
      'pending_if_incomplete',
    ]),
  };
  const subscription = billing.run(context.request, () => billing.updateSubscription(id ?? '', update));
  return respond(context, subscription);
}

function cancelSubscription(context: ApiContext, { id }: Record<string, string>): Reply {
  const { billing, params } = context;
  params.only(['invoice_now', 'prorate', 'cancellation_details', 'expand']);
  params.boolean('invoice_now');
  params.boolean('prorate');
  const subscription = billing.run(context.request, () =>
    billing.cancelSubscription(id ?? '', cancellationDetails(params)),
  );
  return respond(context, subscription);
}

function listSubscriptions(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only(['customer', 'status', 'price', ...PAGINATION]);
  const customer = params.string('customer');
  const price = params.string('price');
  const status = params.oneOf('status', SUBSCRIPTION_STATUSES);
  const statusMatches = (subscription: Stripe.Subscription): boolean => {
    if (status === 'all') return true;
    if (status === 'ended') return subscription.status === 'canceled' || subscription.status === 'incomplete_expired';
    if (status === undefined) return subscription.status !== 'canceled';
    return subscription.status === status;
  };
  const subscriptions = newestFirst([...billing.store.subscriptions.values()].map((record) => record.subscription)).filter(
    (subscription) =>
      (customer === undefined || subscription.customer === customer) &&
      (price === undefined || subscription.items.data.some((item) => item.price.id === price)) &&
      statusMatches(subscription),
  );
  return respond(context, page(params, subscriptions, '/v1/subscriptions'));
}

// Prices

function retrievePrice(context: ApiContext, { id }: Record<string, string>): Reply {
  context.params.only(['expand']);
  return respond(context, context.billing.getPrice(id ?? ''));
}

function createPrice(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only(['currency', 'unit_amount', 'recurring', 'product', 'product_data', 'nickname', 'lookup_key', 'metadata', 'expand']);
  const currency = params.requiredString('currency').toLowerCase();
  const unitAmount = params.integer('unit_amount', 0, 99_999_999);
  if (unitAmount === undefined) throw invalidRequest('Missing required param: unit_amount.', 'unit_amount', 'parameter_missing');
  const recurring = params.object('recurring')?.only(['interval', 'interval_count']);
  let interval: BillingInterval | null = null;
  if (recurring) {
    interval = recurring.oneOf('interval', ['day', 'week', 'month', 'year']) ?? null;
    if (interval === null) {
      throw invalidRequest('Missing required param: recurring[interval].', 'recurring[interval]', 'parameter_missing');
    }
  }
  const product = params.string('product');
  const productData = params.object('product_data')?.only(['name']);
  if ((product === undefined) === (productData === undefined)) {
    throw invalidRequest('You must specify exactly one of product or product_data.', 'product');
  }
  productData?.requiredString('name');
  const price = billing.run(context.request, () =>
    billing.createPrice({
      id: newId('price'),
      unitAmount,
      currency,
      interval,
      intervalCount: recurring?.integer('interval_count', 1, 365) ?? 1,
      nickname: params.string('nickname') ?? null,
      lookupKey: params.string('lookup_key') ?? null,
      productId: product,
      metadata: applyMetadata({}, params.metadata()),
    }),
  );
  return respond(context, price);
}

function listPrices(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only(['active', 'lookup_keys', ...PAGINATION]);
  const active = params.boolean('active');
  const lookupKeys = params.strings('lookup_keys');
  const prices = newestFirst(billing.store.prices.values()).filter(
    (price) =>
      (active === undefined || price.active === active) &&
      (lookupKeys.length === 0 || (price.lookup_key !== null && lookupKeys.includes(price.lookup_key))),
  );
  return respond(context, page(params, prices, '/v1/prices'));
}

// Billing portal

function createPortalSession(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only(['customer', 'return_url', 'locale', 'expand']);
  const customer = params.requiredString('customer');
  const session = billing.run(context.request, () =>
    billing.createPortalSession(customer, params.string('return_url') ?? null),
  );
  return respond(context, session);
}

// Invoices

function retrieveInvoice(context: ApiContext, { id }: Record<string, string>): Reply {
  context.params.only(['expand']);
  return respond(context, context.billing.getInvoice(id ?? ''));
}

function listInvoiceLines(context: ApiContext, { id }: Record<string, string>): Reply {
  const { billing, params } = context;
  params.only(PAGINATION);
  const invoice = billing.getInvoice(id ?? '');
  return respond(context, page(params, invoice.lines.data, `/v1/invoices/${invoice.id}/lines`));
}

/**
 * The upcoming invoice of a subscription, optionally with a proposed change
 * (`subscription_details[items]`, `[proration_behavior]`, `[proration_date]`).
 * Previewing a new subscription, a schedule or a customer's other charges
 * is not implemented, and says so.
 */
function createInvoicePreview(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only(['customer', 'subscription', 'subscription_details', 'preview_mode', 'expand']);
  if (params.oneOf('preview_mode', ['next', 'recurring']) === 'recurring') {
    throw invalidRequest('The local Stripe emulator only implements preview_mode=next.', 'preview_mode');
  }
  const details = params.object('subscription_details')?.only(['items', 'proration_behavior', 'proration_date']);
  const subscription = params.string('subscription');
  if (subscription === undefined) {
    throw invalidRequest(
      'Missing required param: subscription. (The local Stripe emulator previews the invoices of existing subscriptions only.)',
      'subscription',
      'parameter_missing',
    );
  }
  const invoice = billing.previewInvoice({
    customerId: params.string('customer'),
    subscriptionId: subscription,
    items: details ? itemUpdates(details) : undefined,
    prorationBehavior: details?.oneOf('proration_behavior', PRORATION_BEHAVIORS),
    prorationDate: details?.integer('proration_date', 0),
  });
  return respond(context, invoice);
}

// Invoice items

function listInvoiceItems(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only(['customer', 'invoice', 'pending', ...PAGINATION]);
  const items = billing.invoiceItemsOf({
    customer: params.string('customer'),
    invoice: params.string('invoice'),
    pending: params.boolean('pending'),
  });
  return respond(context, page(params, items, '/v1/invoiceitems'));
}

function retrieveInvoiceItem(context: ApiContext, { id }: Record<string, string>): Reply {
  context.params.only(['expand']);
  return respond(context, context.billing.getInvoiceItem(id ?? ''));
}

function listInvoices(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only(['customer', 'subscription', 'status', ...PAGINATION]);
  const customer = params.string('customer');
  const subscription = params.string('subscription');
  const status = params.oneOf('status', ['draft', 'open', 'paid', 'uncollectible', 'void']);
  const invoices = newestFirst(billing.store.invoices.values()).filter(
    (invoice) =>
      (customer === undefined || invoice.customer === customer) &&
      (subscription === undefined || invoice.parent?.subscription_details?.subscription === subscription) &&
      (status === undefined || invoice.status === status),
  );
  return respond(context, page(params, invoices, '/v1/invoices'));
}

// Events

function retrieveEvent(context: ApiContext, { id }: Record<string, string>): Reply {
  context.params.only(['expand']);
  const stored = context.billing.store.findEvent(id ?? '');
  if (!stored) throw noSuchResource('event', id ?? '');
  return respond(context, stored.event);
}

/** `customer.subscription.*` matches every subscription event, as in Stripe. */
function typeMatcher(pattern: string): (type: string) => boolean {
  if (!pattern.endsWith('*')) return (type) => type === pattern;
  const prefix = pattern.slice(0, -1);
  return (type) => type.startsWith(prefix);
}

function listEvents(context: ApiContext): Reply {
  const { billing, params } = context;
  params.only(['type', 'types', ...PAGINATION]);
  const type = params.string('type');
  const matchers = [...(type === undefined ? [] : [type]), ...params.strings('types')].map(typeMatcher);
  const events = [...billing.store.events]
    .reverse()
    .map((stored) => stored.event)
    .filter((event) => matchers.length === 0 || matchers.some((matches) => matches(event.type)));
  return respond(context, page(params, events, '/v1/events'));
}

export const apiRoutes: ReadonlyArray<Route<ApiContext>> = [
  { method: 'POST', pattern: '/v1/customers', handler: createCustomer },
  { method: 'GET', pattern: '/v1/customers', handler: listCustomers },
  { method: 'GET', pattern: '/v1/customers/:id', handler: retrieveCustomer },
  { method: 'POST', pattern: '/v1/customers/:id', handler: updateCustomer },
  { method: 'DELETE', pattern: '/v1/customers/:id', handler: deleteCustomer },
  { method: 'POST', pattern: '/v1/checkout/sessions', handler: createCheckoutSession },
  { method: 'GET', pattern: '/v1/checkout/sessions', handler: listCheckoutSessions },
  { method: 'GET', pattern: '/v1/checkout/sessions/:id', handler: retrieveCheckoutSession },
  { method: 'GET', pattern: '/v1/checkout/sessions/:id/line_items', handler: listCheckoutLineItems },
  { method: 'POST', pattern: '/v1/checkout/sessions/:id/expire', handler: expireCheckoutSession },
  { method: 'GET', pattern: '/v1/subscriptions', handler: listSubscriptions },
  { method: 'GET', pattern: '/v1/subscriptions/:id', handler: retrieveSubscription },
  { method: 'POST', pattern: '/v1/subscriptions/:id', handler: updateSubscription },
  { method: 'DELETE', pattern: '/v1/subscriptions/:id', handler: cancelSubscription },
  { method: 'POST', pattern: '/v1/prices', handler: createPrice },
  { method: 'GET', pattern: '/v1/prices', handler: listPrices },
  { method: 'GET', pattern: '/v1/prices/:id', handler: retrievePrice },
  { method: 'POST', pattern: '/v1/billing_portal/sessions', handler: createPortalSession },
  { method: 'GET', pattern: '/v1/invoices', handler: listInvoices },
  { method: 'GET', pattern: '/v1/invoices/:id', handler: retrieveInvoice },
  { method: 'GET', pattern: '/v1/invoices/:id/lines', handler: listInvoiceLines },
  { method: 'POST', pattern: '/v1/invoices/create_preview', handler: createInvoicePreview },
  { method: 'GET', pattern: '/v1/invoiceitems', handler: listInvoiceItems },
  { method: 'GET', pattern: '/v1/invoiceitems/:id', handler: retrieveInvoiceItem },
  { method: 'GET', pattern: '/v1/events', handler: listEvents },
  { method: 'GET', pattern: '/v1/events/:id', handler: retrieveEvent },
];
