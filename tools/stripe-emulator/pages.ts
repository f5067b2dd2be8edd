/**
 * The hosted pages a browser is sent to: Checkout (`/checkout/:id`) and the
 * customer portal (`/portal/:id`). Plain HTML forms, no JavaScript, so they
 * work in a headless browser and from a test with `fetch`.
 */
import type Stripe from 'stripe';
import { TEST_CARD_DECLINED, TEST_CARD_OK, type Billing } from './billing.ts';
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

function portalPage(billing: Billing, portal: Stripe.BillingPortal.Session, error?: string): Reply {
  const customer = billing.getCustomer(portal.customer);
  const subscriptions = billing.subscriptionsOf(customer.id).sort((a, b) => b.created - a.created);
  const sections = subscriptions.map((subscription) => {
    const item = subscription.items.data[0];
    const base = `/portal/${escapeHtml(portal.id)}/subscriptions/${escapeHtml(subscription.id)}`;
    const live = subscription.status !== 'canceled';
    const controls = live && item
      ? `<form method="post" action="${base}/quantity">
  <label>Seats <input type="number" name="quantity" min="1" value="${item.quantity ?? 1}" required></label>
  <button type="submit">Update seats</button>
</form>
<form method="post" action="${base}/cancel">
  <button type="submit" class="secondary">Cancel subscription</button>
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
${controls}
</section>`;
  });
  const back = portal.return_url ? `<p><a href="${escapeHtml(portal.return_url)}">Return to the app</a></p>` : '';
  const body = `<h2>Billing portal</h2>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<p>Customer: <strong>${escapeHtml(customer.email ?? customer.id)}</strong></p>
${sections.length > 0 ? sections.join('\n') : '<p>No subscriptions.</p>'}
${back}`;
  return html(error ? 400 : 200, layout('Billing portal', body));
}

function showPortal({ billing }: PageContext, { id }: Record<string, string>): Reply {
  const portal = billing.store.portalSessions.get(id ?? '');
  if (!portal) return messagePage(404, 'Portal session not found', `There is no billing portal session ${id}.`);
  return portalPage(billing, portal);
}

/** Runs a portal action on one of the portal customer's subscriptions, then shows the portal again. */
function portalAction(action: (context: PageContext, subscriptionId: string) => void) {
  return (context: PageContext, { id, subscriptionId }: Record<string, string>): Reply => {
    const { billing } = context;
    const portal = billing.store.portalSessions.get(id ?? '');
    if (!portal) return messagePage(404, 'Portal session not found', `There is no billing portal session ${id}.`);
    const owned = billing.subscriptionsOf(portal.customer).some((subscription) => subscription.id === subscriptionId);
    if (!owned) return messagePage(404, 'Subscription not found', `There is no subscription ${subscriptionId} for this customer.`);
    try {
      billing.run(null, () => action(context, subscriptionId ?? ''));
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      return portalPage(billing, portal, error.message);
    }
    return redirect(`/portal/${portal.id}`);
  };
}

const updateSeats = portalAction(({ billing, form }, subscriptionId) => {
  const quantity = form.integer('quantity', 1, 10_000);
  if (quantity === undefined) throw new StripeApiError(400, 'invalid_request_error', 'Enter a number of seats.');
  const item = billing.getSubscription(subscriptionId).items.data[0];
  if (!item) throw new StripeApiError(400, 'invalid_request_error', 'This subscription has no item to change.');
  billing.updateSubscription(subscriptionId, { items: [{ param: 'items[0]', id: item.id, quantity }] });
});

const cancelFromPortal = portalAction(({ billing }, subscriptionId) => {
  billing.cancelSubscription(subscriptionId);
});

export const pageRoutes: ReadonlyArray<Route<PageContext>> = [
  { method: 'GET', pattern: '/checkout/:id', handler: showCheckout },
  { method: 'POST', pattern: '/checkout/:id/pay', handler: payCheckout },
  { method: 'GET', pattern: '/portal/:id', handler: showPortal },
  { method: 'POST', pattern: '/portal/:id/subscriptions/:subscriptionId/quantity', handler: updateSeats },
  { method: 'POST', pattern: '/portal/:id/subscriptions/:subscriptionId/cancel', handler: cancelFromPortal },
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
