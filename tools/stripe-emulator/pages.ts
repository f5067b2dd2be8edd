/**
 * The hosted pages a browser is sent to: Checkout (`/checkout/:id`), the
 * customer portal (`/portal/:id`) and the hosted invoice page (`/invoices/:id`). Plain HTML forms, no JavaScript, so they
 * work in a headless browser and from a test with `fetch`.
 */
import type Stripe from 'stripe';
import { TEST_CARD_CHARGES_FAIL, TEST_CARD_DECLINED, TEST_CARD_OK, type Billing } from './billing.ts';
import { StripeApiError } from './errors.ts';
import type { Params } from './form.ts';
import { html, redirect, type Reply, type Route } from './http.ts';

export interface PageContext {
  billing: Billing;
  form: Params;
}

function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function money(cents: number | null, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format((cents ?? 0) / 100);
}

function day(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}

function planName(price: Stripe.Price | null): string {
  if (!price) return 'Unknown price';
  return price.metadata.plan ?? price.nickname ?? price.id;
}

function perInterval(price: Stripe.Price): string {
  if (!price.recurring) return '';
  const { interval, interval_count: count } = price.recurring;
  return count === 1 ? ` / ${interval}` : ` / ${count} ${interval}s`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Local Stripe emulator</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1a1f36; }
  header { border-bottom: 1px solid #e3e8ee; margin-bottom: 1.5rem; }
  .badge { background: #ffde92; color: #5c3b00; border-radius: 4px; padding: 0.1rem 0.4rem; font-size: 0.8rem; vertical-align: middle; }
  table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
  th, td { text-align: left; padding: 0.4rem; border-bottom: 1px solid #e3e8ee; }
  button { background: #635bff; color: white; border: 0; border-radius: 4px; padding: 0.6rem 1rem; font-size: 1rem; cursor: pointer; }
  button.secondary { background: #e3e8ee; color: #1a1f36; }
  form { display: inline-block; margin: 0.5rem 0.5rem 0.5rem 0; }
  section { border: 1px solid #e3e8ee; border-radius: 6px; padding: 1rem; margin: 1rem 0; }
  .error { background: #fde8e8; border: 1px solid #f5b5b5; padding: 0.6rem; border-radius: 4px; }
  .muted { color: #697386; font-size: 0.9rem; }
</style>
</head>
<body>
<header>
  <h1>Local Stripe emulator <span class="badge">TEST MODE</span></h1>
  <p class="muted">A stand-in for Stripe in development and tests. No real payment is taken.</p>
</header>
<main>
${body}
</main>
</body>
</html>`;
}

function messagePage(status: number, title: string, message: string, link?: { href: string; label: string }): Reply {
  const back = link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>` : '';
  return html(status, layout(title, `<h2>${escapeHtml(title)}</h2><p>${escapeHtml(message)}</p>${back}`));
}

function checkoutPage(billing: Billing, session: Stripe.Checkout.Session, status = 200, error?: string): Reply {
  const lines = billing.lineItemsOf(session.id);
  const currency = session.currency ?? 'usd';
  const customerId = typeof session.customer === 'string' ? session.customer : null;
  const email = session.customer_email ?? (customerId ? billing.getCustomer(customerId).email : null);
  const rows = lines
    .map((line) => {
      const price = line.price;
      const unit = price ? `${money(price.unit_amount, currency)}${perInterval(price)}` : '';
      return `<tr><td>${escapeHtml(planName(price))}</td><td>${line.quantity ?? 1}</td><td>${escapeHtml(unit)}</td><td>${escapeHtml(money(line.amount_total, currency))}</td></tr>`;
    })
    .join('\n');
  const payForm = (card: string, label: string, className = ''): string =>
    `<form method="post" action="/checkout/${escapeHtml(session.id)}/pay">
  <input type="hidden" name="card" value="${card}">
  <button type="submit"${className ? ` class="${className}"` : ''}>${escapeHtml(label)}</button>
</form>`;
  const cancel = session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Cancel and go back</a></p>` : '';
  const body = `<h2>Subscribe</h2>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
${email ? `<p>Customer: <strong>${escapeHtml(email)}</strong></p>` : ''}
<table>
<thead><tr><th>Plan</th><th>Quantity</th><th>Price</th><th>Amount</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p>Total due today: <strong>${escapeHtml(money(session.amount_total, currency))}</strong></p>
${payForm(TEST_CARD_OK, 'Pay with test card 4242')}
${payForm(TEST_CARD_DECLINED, 'Pay with declined test card 0002', 'secondary')}
${cancel}`;
  return html(status, layout('Checkout', body));
}

function showCheckout({ billing }: PageContext, { id }: Record<string, string>): Reply {
  const session = billing.store.sessions.get(id ?? '')?.session;
  if (!session) return messagePage(404, 'Checkout not found', `There is no Checkout Session ${id}.`);
  if (session.status === 'complete') {
    return messagePage(
      200,
      'Payment complete',
      'This Checkout Session has already been paid.',
      session.success_url ? { href: successUrl(session), label: 'Continue' } : undefined,
    );
  }
  if (session.status !== 'open' || session.expires_at <= billing.clock.now()) {
    return messagePage(410, 'Checkout expired', 'This Checkout Session has expired.',
      session.cancel_url ? { href: session.cancel_url, label: 'Go back' } : undefined);
  }
  return checkoutPage(billing, session);
}

function successUrl(session: Stripe.Checkout.Session): string {
  return (session.success_url ?? '').replaceAll('{CHECKOUT_SESSION_ID}', session.id);
}

function payCheckout({ billing, form }: PageContext, { id }: Record<string, string>): Reply {
  const session = billing.store.sessions.get(id ?? '')?.session;
  if (!session) return messagePage(404, 'Checkout not found', `There is no Checkout Session ${id}.`);
  try {
    billing.run(null, () => billing.completeCheckout(session.id, form.string('card') ?? TEST_CARD_OK));
  } catch (error) {
    if (!(error instanceof StripeApiError)) throw error;
    if (error.type === 'card_error') return checkoutPage(billing, session, 402, error.message);
    return messagePage(400, 'Checkout unavailable', error.message);
  }
  if (!session.success_url) return messagePage(200, 'Payment complete', 'Thank you, your subscription is active.');
  return redirect(successUrl(session));
}

/** "Next invoice $63.48 on 2026-02-15", from the same preview the API gives; nothing when Stripe would have none. */
function nextInvoiceLine(billing: Billing, subscription: Stripe.Subscription): string {
  if (subscription.status === 'canceled') return '';
  try {
    const upcoming = billing.previewInvoice({ subscriptionId: subscription.id });
    return `<p>Next invoice: <strong>${escapeHtml(money(upcoming.amount_due, upcoming.currency))}</strong> on ${day(upcoming.created)}</p>`;
  } catch (error) {
    if (error instanceof StripeApiError && error.code === 'invoice_upcoming_none') return '';
    throw error;
  }
}

function subscriptionSection(billing: Billing, portal: Stripe.BillingPortal.Session, subscription: Stripe.Subscription): string {
  const item = subscription.items.data[0];
  const base = `/portal/${escapeHtml(portal.id)}/subscriptions/${escapeHtml(subscription.id)}`;
  const live = subscription.status !== 'canceled';
  const endAtPeriodEnd = subscription.cancel_at_period_end
    ? `<form method="post" action="${base}/renew">
  <button type="submit">Don't cancel</button>
</form>`
    : `<form method="post" action="${base}/cancel-at-period-end">
  <button type="submit" class="secondary">Cancel at period end</button>
</form>`;
  const controls = live && item
    ? `<form method="post" action="${base}/quantity">
  <label>Seats <input type="number" name="quantity" min="1" value="${item.quantity ?? 1}" required></label>
  <button type="submit">Update seats</button>
</form>
${endAtPeriodEnd}
<form method="post" action="${base}/cancel">
  <button type="submit" class="secondary">Cancel now</button>
</form>`
    : '';
  const renewal = subscription.cancel_at
    ? `Cancels on ${day(subscription.cancel_at)}`
    : item && live
      ? `Renews on ${day(item.current_period_end)}`
      : subscription.ended_at
        ? `Ended on ${day(subscription.ended_at)}`
        : '';
  return `<section>
<h3>${escapeHtml(planName(item?.price ?? null))} <span class="muted">${escapeHtml(subscription.id)}</span></h3>
<p>Status: <strong>${escapeHtml(subscription.status)}</strong> · Seats: <strong>${item?.quantity ?? 1}</strong> · ${escapeHtml(renewal)}</p>
${nextInvoiceLine(billing, subscription)}
${controls}
</section>`;
}

function paymentMethodSection(billing: Billing, portal: Stripe.BillingPortal.Session): string {
  const card = billing.store.customers.get(portal.customer)?.card ?? null;
  return `<section>
<h3>Payment method</h3>
<p>${card ? `Default card: <strong>${escapeHtml(card.brand)} •••• ${escapeHtml(card.last4)}</strong>` : 'No card saved here yet.'}</p>
<form method="post" action="/portal/${escapeHtml(portal.id)}/payment-method">
  <label>Card number <input type="text" name="card" inputmode="numeric" autocomplete="cc-number" required></label>
  <button type="submit">Save card</button>
</form>
<p class="muted">Test cards: ${TEST_CARD_OK} works; ${TEST_CARD_CHARGES_FAIL} is saved but its charges fail; ${TEST_CARD_DECLINED} is declined.</p>
</section>`;
}

function invoicesSection(billing: Billing, customerId: string): string {
  const invoices = [...billing.store.invoices.values()]
    .filter((invoice) => invoice.customer === customerId)
    .sort((a, b) => b.created - a.created);
  const rows = invoices.map(
    (invoice) => `<tr><td>${day(invoice.created)}</td><td>${escapeHtml(invoice.number ?? invoice.id)}</td><td>${escapeHtml(money(invoice.total, invoice.currency))}</td><td>${escapeHtml(invoice.status ?? '')}</td><td>${invoice.hosted_invoice_url ? `<a href="${escapeHtml(invoice.hosted_invoice_url)}">View</a>` : ''}</td></tr>`,
  );
  return `<section>
<h3>Invoices</h3>
${
  rows.length > 0
    ? `<table>
<thead><tr><th>Date</th><th>Number</th><th>Amount</th><th>Status</th><th></th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`
    : '<p>No invoices yet.</p>'
}
</section>`;
}

function portalPage(billing: Billing, portal: Stripe.BillingPortal.Session, error?: StripeApiError): Reply {
  const customer = billing.getCustomer(portal.customer);
  const subscriptions = billing.subscriptionsOf(customer.id).sort((a, b) => b.created - a.created);
  const sections = subscriptions.map((subscription) => subscriptionSection(billing, portal, subscription));
  const back = portal.return_url ? `<p><a href="${escapeHtml(portal.return_url)}">Return to the app</a></p>` : '';
  const body = `<h2>Billing portal</h2>
${error ? `<p class="error" role="alert">${escapeHtml(error.message)}</p>` : ''}
<p>Customer: <strong>${escapeHtml(customer.email ?? customer.id)}</strong></p>
${sections.length > 0 ? sections.join('\n') : '<p>No subscriptions.</p>'}
${paymentMethodSection(billing, portal)}
${invoicesSection(billing, customer.id)}
${back}`;
  return html(error?.status ?? 200, layout('Billing portal', body));
}

function showPortal({ billing }: PageContext, { id }: Record<string, string>): Reply {
  const portal = billing.store.portalSessions.get(id ?? '');
  if (!portal) return messagePage(404, 'Portal session not found', `There is no billing portal session ${id}.`);
  return portalPage(billing, portal);
}

/** Runs a portal action, then shows the portal again; a refused action shows it with the reason. */
function portalAction(action: (context: PageContext, portal: Stripe.BillingPortal.Session) => void) {
  return (context: PageContext, { id }: Record<string, string>): Reply => {
    const { billing } = context;
    const portal = billing.store.portalSessions.get(id ?? '');
    if (!portal) return messagePage(404, 'Portal session not found', `There is no billing portal session ${id}.`);
    try {
      billing.run(null, () => action(context, portal));
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      return portalPage(billing, portal, error);
    }
    return redirect(`/portal/${portal.id}`);
  };
}

/** A portal action on one of the portal customer's own subscriptions. */
function subscriptionAction(action: (context: PageContext, subscriptionId: string) => void) {
  return (context: PageContext, params: Record<string, string>): Reply => {
    const { billing } = context;
    const portal = billing.store.portalSessions.get(params.id ?? '');
    const subscriptionId = params.subscriptionId ?? '';
    if (portal && !billing.subscriptionsOf(portal.customer).some((subscription) => subscription.id === subscriptionId)) {
      return messagePage(404, 'Subscription not found', `There is no subscription ${subscriptionId} for this customer.`);
    }
    return portalAction((actionContext) => action(actionContext, subscriptionId))(context, params);
  };
}

const updateSeats = subscriptionAction(({ billing, form }, subscriptionId) => {
  const quantity = form.integer('quantity', 1, 10_000);
  if (quantity === undefined) throw new StripeApiError(400, 'invalid_request_error', 'Enter a number of seats.');
  const item = billing.getSubscription(subscriptionId).items.data[0];
  if (!item) throw new StripeApiError(400, 'invalid_request_error', 'This subscription has no item to change.');
  billing.updateSubscription(subscriptionId, {
    items: [{ param: 'items[0]', id: item.id, quantity }],
    prorationBehavior: 'create_prorations',
  });
});

const cancelAtPeriodEnd = subscriptionAction(({ billing }, subscriptionId) => {
  billing.updateSubscription(subscriptionId, { cancelAtPeriodEnd: true });
});

const keepSubscription = subscriptionAction(({ billing }, subscriptionId) => {
  billing.updateSubscription(subscriptionId, { cancelAtPeriodEnd: false });
});

const cancelNow = subscriptionAction(({ billing }, subscriptionId) => {
  billing.cancelSubscription(subscriptionId);
});

const saveCard = portalAction(({ billing, form }, portal) => {
  const card = form.string('card') ?? '';
  if (card.trim() === '') throw new StripeApiError(400, 'invalid_request_error', 'Enter a card number.');
  billing.saveCard(portal.customer, card);
});

/** The hosted invoice page (`hosted_invoice_url`): what was billed, and whether it was paid. */
function showInvoice({ billing }: PageContext, { id }: Record<string, string>): Reply {
  const invoice = billing.store.invoices.get(id ?? '');
  if (!invoice) return messagePage(404, 'Invoice not found', `There is no invoice ${id}.`);
  const rows = invoice.lines.data
    .map(
      (line) =>
        `<tr><td>${escapeHtml(line.description ?? '')}</td><td>${day(line.period.start)} – ${day(line.period.end)}</td><td>${escapeHtml(money(line.amount, line.currency))}</td></tr>`,
    )
    .join('\n');
  const body = `<h2>Invoice ${escapeHtml(invoice.number ?? invoice.id)}</h2>
<p>Status: <strong>${escapeHtml(invoice.status ?? '')}</strong> · Issued ${day(invoice.created)} · ${escapeHtml(invoice.customer_email ?? '')}</p>
<table>
<thead><tr><th>Description</th><th>Period</th><th>Amount</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p>Total: <strong>${escapeHtml(money(invoice.total, invoice.currency))}</strong> · Amount due: ${escapeHtml(money(invoice.amount_due, invoice.currency))} · Paid: ${escapeHtml(money(invoice.amount_paid, invoice.currency))} · Remaining: ${escapeHtml(money(invoice.amount_remaining, invoice.currency))}</p>`;
  return html(200, layout(`Invoice ${invoice.number ?? invoice.id}`, body));
}

export const pageRoutes: ReadonlyArray<Route<PageContext>> = [
  { method: 'GET', pattern: '/checkout/:id', handler: showCheckout },
  { method: 'POST', pattern: '/checkout/:id/pay', handler: payCheckout },
  { method: 'GET', pattern: '/portal/:id', handler: showPortal },
  { method: 'POST', pattern: '/portal/:id/subscriptions/:subscriptionId/quantity', handler: updateSeats },
  { method: 'POST', pattern: '/portal/:id/subscriptions/:subscriptionId/cancel-at-period-end', handler: cancelAtPeriodEnd },
  { method: 'POST', pattern: '/portal/:id/subscriptions/:subscriptionId/renew', handler: keepSubscription },
  { method: 'POST', pattern: '/portal/:id/subscriptions/:subscriptionId/cancel', handler: cancelNow },
  { method: 'POST', pattern: '/portal/:id/payment-method', handler: saveCard },
  { method: 'GET', pattern: '/invoices/:id', handler: showInvoice },
];

export function indexPage(): Reply {
  return html(
    200,
    layout(
      'Home',
      `<p>The API answers under <code>/v1</code> (Bearer <code>sk_test_…</code>).
Operator controls live under <code>/_emulator</code>:
<a href="/_emulator/state">state</a>, <a href="/_emulator/events">events</a>, <a href="/_emulator/deliveries">deliveries</a>.</p>`,
    ),
  );
}

export function pageNotFound(path: string): Reply {
  return messagePage(404, 'Not found', `Nothing is served at ${path}.`);
}
