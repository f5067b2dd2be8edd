/**
 * The local Stripe emulator, driven the way the app drives Stripe: through
 * the official SDK, the hosted pages over plain HTTP, and signed webhooks
 * checked with the SDK's own constructEvent. Every test starts its own
 * emulator (random port), so no state leaks between tests.
 */
import type Stripe from 'stripe';
import { afterEach, describe, expect, test } from 'vitest';
import { addIntervals } from '../../tools/stripe-emulator/clock.ts';
import { decodeForm } from '../../tools/stripe-emulator/form.ts';
import { control, DAY, emulator, cleanUp, formsIn, postForm, receiver, SECRET, sdk, subscribe } from './stripe-emulator-helpers.ts';

afterEach(cleanUp);

describe('form decoding', () => {
  test('decodes nested brackets, arrays and appended values as Stripe encodes them', () => {
    const decoded = decodeForm(
      'mode=subscription&line_items[0][price]=price_a&line_items[0][quantity]=3&line_items[1][price]=price_b' +
        '&metadata[tenant_id]=t%201&subscription_data[metadata][tenant_id]=t+1&expand[]=customer&expand[]=subscription' +
        '&items%5B0%5D%5Bid%5D=si_1',
    );
    expect(decoded).toEqual({
      mode: 'subscription',
      line_items: [{ price: 'price_a', quantity: '3' }, { price: 'price_b' }],
      metadata: { tenant_id: 't 1' },
      subscription_data: { metadata: { tenant_id: 't 1' } },
      expand: ['customer', 'subscription'],
      items: [{ id: 'si_1' }],
    });
  });

  test('orders arrays by index and keeps numeric metadata keys as keys', () => {
    expect(decodeForm('a[2]=c&a[0]=a&a[1]=b&metadata[0]=zero')).toEqual({ a: ['a', 'b', 'c'], metadata: { 0: 'zero' } });
  });

  test('refuses ambiguous or hostile parameter names', () => {
    expect(() => decodeForm('a=1&a[b]=2')).toThrow(/more than once|already a value/);
    expect(() => decodeForm('a=1&a=2')).toThrow(/more than once/);
    expect(() => decodeForm('metadata[__proto__][x]=1')).toThrow(/Invalid parameter name/);
    expect(() => decodeForm('a]b=1')).toThrow(/Invalid parameter name/);
    expect(Object.prototype).not.toHaveProperty('x');
  });
});

describe('billing periods', () => {
  test('monthly periods count from the anchor and clamp to short months', () => {
    const jan31 = Date.UTC(2026, 0, 31, 12) / 1000;
    expect(new Date(addIntervals(jan31, 'month', 1) * 1000).toISOString()).toBe('2026-02-28T12:00:00.000Z');
    expect(new Date(addIntervals(jan31, 'month', 2) * 1000).toISOString()).toBe('2026-03-31T12:00:00.000Z');
    expect(new Date(addIntervals(Date.UTC(2028, 0, 31) / 1000, 'month', 1) * 1000).toISOString()).toBe(
      '2028-02-29T00:00:00.000Z',
    );
    expect(new Date(addIntervals(Date.UTC(2026, 10, 15) / 1000, 'year', 1) * 1000).toISOString()).toBe(
      '2027-11-15T00:00:00.000Z',
    );
  });
});

describe('API basics', () => {
  test('answers 401 in Stripe error shape without a test-mode secret key', async () => {
    const target = await emulator();
    const missing = await fetch(`${target.url}/v1/customers`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { type: 'invalid_request_error', message: /did not provide an API key/ } });
    await expect(sdk(target, 'sk_live_123').customers.list()).rejects.toMatchObject({
      type: 'StripeAuthenticationError',
      statusCode: 401,
    });
  });

  test('serves the seeded prices, and configurable price ids', async () => {
    const target = await emulator({ priceIds: { pro: 'price_custom_pro' } });
    const stripe = sdk(target);
    const pro = await stripe.prices.retrieve('price_custom_pro');
    expect(pro).toMatchObject({ unit_amount: 1200, currency: 'usd', recurring: { interval: 'month' }, metadata: { plan: 'pro' } });
    const enterprise = await stripe.prices.retrieve('price_enterprise_monthly');
    expect(enterprise.metadata.plan).toBe('enterprise');
    await expect(stripe.prices.retrieve('price_pro_monthly')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
    });
    const created = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 900,
      recurring: { interval: 'month' },
      product_data: { name: 'Team' },
    });
    expect((await stripe.prices.retrieve(created.id)).unit_amount).toBe(900);
  });

  test('unknown URLs and parameters fail as Stripe fails them', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const response = await fetch(`${target.url}/v1/charges`, { headers: { Authorization: 'Bearer sk_test_x' } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringContaining('Unrecognized request URL (GET: /v1/charges)') },
    });
    await expect(
      stripe.customers.create({ email: 'a@example.com', tax_exempt: 'none' }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'tax_exempt' });
    await expect(
      stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: 'price_missing', quantity: 1 }] }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'line_items[0][price]' });
  });

  test('an Idempotency-Key replays the first response instead of creating twice', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const params = { email: 'owner@t1.example', metadata: { tenant_id: 't1' } };
    const first = await stripe.customers.create(params, { idempotencyKey: 'customer-for-t1' });
    const second = await stripe.customers.create(params, { idempotencyKey: 'customer-for-t1' });
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.idempotencyKey).toBe('customer-for-t1');
    const replayed = await fetch(`${target.url}/v1/customers`, {
      method: 'POST',
      headers: {
        Authorization: 'Bearer sk_test_x',
        'Content-Type': 'application/x-www-form-urlencoded',
        'Idempotency-Key': 'customer-for-t1',
      },
      body: 'email=owner%40t1.example&metadata[tenant_id]=t1',
    });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replayed.json()) as Stripe.Customer).id).toBe(first.id);
    const all = await stripe.customers.list({ email: 'owner@t1.example' });
    expect(all.data.map((customer) => customer.id)).toEqual([first.id]);
    await expect(
      stripe.customers.create({ email: 'someone-else@t1.example' }, { idempotencyKey: 'customer-for-t1' }),
    ).rejects.toMatchObject({ type: 'StripeIdempotencyError', statusCode: 400 });
    const customerEvents = (await target.pullEvents()).events.filter((event) => event.type === 'customer.created');
    expect(customerEvents).toHaveLength(1);
  });

  test('customers update with Stripe semantics and list newest first with pagination', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const a = await stripe.customers.create({ email: 'a@example.com', metadata: { keep: '1', drop: '2' } });
    const b = await stripe.customers.create({ email: 'b@example.com' });
    const updated = await stripe.customers.update(a.id, { name: 'Ada', metadata: { drop: '' } });
    expect(updated).toMatchObject({ name: 'Ada', metadata: { keep: '1' } });
    const firstPage = await stripe.customers.list({ limit: 1 });
    expect(firstPage.data.map((customer) => customer.id)).toEqual([b.id]);
    expect(firstPage.has_more).toBe(true);
    const secondPage = await stripe.customers.list({ limit: 1, starting_after: b.id });
    expect(secondPage.data.map((customer) => customer.id)).toEqual([a.id]);
    const event = (await stripe.events.list({ type: 'customer.updated' })).data[0];
    expect(event?.data.previous_attributes).toEqual({ name: null, metadata: { keep: '1', drop: '2' } });
  });
});

describe('checkout through the hosted page', () => {
  test('paying creates an active subscription with the quantity and metadata of the session', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { session, page, paid, completed, subscription, customer } = await subscribe(target, stripe, 5);

    expect(session.url).toBe(`${target.url}/checkout/${session.id}`);
    expect(page).toContain('Local Stripe emulator');
    expect(page).toContain('TEST MODE');
    expect(page).toContain('Pay with test card 4242');
    expect(page).toContain('$60.00');
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`http://app.example/t/t1/billing?session=${session.id}`);

    expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid', customer: customer.id, url: null });
    expect(subscription).toMatchObject({
      status: 'active',
      customer: customer.id,
      metadata: { tenant_id: 't1', plan: 'pro' },
    });
    const item = subscription.items.data[0];
    expect(item).toMatchObject({ quantity: 5, price: { id: 'price_pro_monthly' } });
    const start = new Date((item?.current_period_start ?? 0) * 1000);
    const end = new Date((item?.current_period_end ?? 0) * 1000);
    expect(end.getUTCMonth()).toBe((start.getUTCMonth() + 1) % 12);
    expect((end.getTime() - start.getTime()) / 1000 / DAY).toBeGreaterThanOrEqual(28);

    const expanded = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription', 'line_items'] });
    expect((expanded.subscription as Stripe.Subscription).id).toBe(subscription.id);
    expect(expanded.line_items?.data[0]?.quantity).toBe(5);

    const invoice = await stripe.invoices.retrieve(String(subscription.latest_invoice));
    expect(invoice).toMatchObject({ status: 'paid', amount_paid: 6000, billing_reason: 'subscription_create' });
  });

  test('a declined card leaves the session open and creates nothing', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const customer = await stripe.customers.create({ email: 'owner@t1.example' });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: 'price_pro_monthly', quantity: 2 }],
      success_url: 'http://app.example/ok',
    });
    const declined = await postForm(`${target.url}/checkout/${session.id}/pay`, { card: '4000000000000002' });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');
    const open = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    expect(open).toMatchObject({ status: 'open', subscription: null });
    expect((await stripe.subscriptions.list({ status: 'all' })).data).toHaveLength(0);
  });
});

describe('webhook delivery', () => {
  test('delivers each event signed as Stripe signs, retrying after a 500', async () => {
    const endpoint = await receiver((index) => (index === 0 ? 500 : 200));
    const target = await emulator({ webhookUrl: endpoint.url });
    const stripe = sdk(target);
    const { subscription } = await subscribe(target, stripe, 3);
    await target.waitForDeliveries();

    // customer.created was refused once and retried in the background, so it may arrive after the others.
    const types = endpoint.received.map(({ event }) => event.type);
    expect(types.toSorted()).toEqual(
      ['checkout.session.completed', 'customer.created', 'customer.subscription.created', 'invoice.paid'],
    );
    for (const { payload, signature } of endpoint.received) {
      const verified = stripe.webhooks.constructEvent(payload, signature, SECRET);
      expect(verified.livemode).toBe(false);
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(() => stripe.webhooks.constructEvent(payload, signature, 'whsec_wrong')).toThrow();
    }
    const created = endpoint.received.find(({ event }) => event.type === 'customer.subscription.created')
      ?.event as Stripe.CustomerSubscriptionCreatedEvent;
    expect(created.data.object).toMatchObject({ id: subscription.id, status: 'active', metadata: { tenant_id: 't1' } });
    expect(created.data.object.items.data[0]?.quantity).toBe(3);

    const deliveries = target.deliveries();
    expect(deliveries.every((delivery) => delivery.state === 'succeeded')).toBe(true);
    expect(deliveries[0]?.attempts.map((attempt) => attempt.status)).toEqual([500, 200]);
    const viaHttp = await control(target, 'GET', '/_emulator/deliveries');
    expect(viaHttp.body.deliveries).toHaveLength(4);
  });

  test('gives up after maxDeliveryAttempts and never blocks the API call', async () => {
    const endpoint = await receiver(() => 503);
    const target = await emulator({ webhookUrl: endpoint.url, maxDeliveryAttempts: 3 });
    const stripe = sdk(target);
    const started = Date.now();
    await stripe.customers.create({ email: 'a@example.com' });
    expect(Date.now() - started).toBeLessThan(500);
    await target.waitForDeliveries();
    const [delivery] = target.deliveries();
    expect(delivery?.state).toBe('failed');
    expect(delivery?.attempts.map((attempt) => attempt.status)).toEqual([503, 503, 503]);
  });

  test('duplicateDeliveries sends every event twice; reorderDeliveries reverses a batch', async () => {
    const endpoint = await receiver();
    const target = await emulator({ webhookUrl: endpoint.url });
    const stripe = sdk(target);

    target.setFaults({ duplicateDeliveries: true });
    await stripe.customers.create({ email: 'a@example.com' });
    await target.waitForDeliveries();
    expect(endpoint.received.map(({ event }) => event.type)).toEqual(['customer.created', 'customer.created']);
    expect(endpoint.received[0]?.event.id).toBe(endpoint.received[1]?.event.id);

    endpoint.received.length = 0;
    await control(target, 'POST', '/_emulator/faults', { duplicateDeliveries: false, reorderDeliveries: true });
    const customer = await stripe.customers.create({ email: 'b@example.com' });
    await target.waitForDeliveries();
    endpoint.received.length = 0;
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price: 'price_pro_monthly', quantity: 1 }],
    });
    target.payCheckoutSession(session.id);
    await target.waitForDeliveries();
    expect(endpoint.received.map(({ event }) => event.type)).toEqual([
      'invoice.paid',
      'checkout.session.completed',
      'customer.subscription.created',
    ]);
  });

  test('pull mode returns each stored event with its payload and a valid signature', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    await subscribe(target, stripe, 2);

    const pulled = await control(target, 'GET', '/_emulator/events?since=0');
    const events = pulled.body.events as Array<{ id: string; type: string; payload: string; signature: string }>;
    expect(events.map((event) => event.type)).toEqual([
      'customer.created',
      'customer.subscription.created',
      'checkout.session.completed',
      'invoice.paid',
    ]);
    for (const { id, payload, signature } of events) {
      expect(stripe.webhooks.constructEvent(payload, signature, SECRET).id).toBe(id);
    }
    const cursor = pulled.body.cursor as number;
    expect((await target.pullEvents(cursor)).events).toEqual([]);

    await stripe.customers.update(String((await stripe.customers.list()).data[0]?.id), { name: 'Renamed' });
    const next = await target.pullEvents(cursor);
    expect(next.events.map((event) => event.type)).toEqual(['customer.updated']);
    expect(target.deliveries()).toEqual([]);
    const retrieved = await stripe.events.retrieve(events[3]?.id ?? '');
    expect(retrieved.type).toBe('invoice.paid');

    const endpoint = await receiver();
    expect((await control(target, 'POST', '/_emulator/webhook', { url: endpoint.url })).status).toBe(200);
    await stripe.customers.create({ email: 'later@example.com' });
    await target.waitForDeliveries();
    expect(endpoint.received.map(({ event }) => event.type)).toEqual(['customer.created']);
  });
});

describe('customer portal', () => {
  test('changing seats emits customer.subscription.updated with previous_attributes; cancel emits deleted', async () => {
    const endpoint = await receiver();
    const target = await emulator({ webhookUrl: endpoint.url });
    const stripe = sdk(target);
    const { customer, subscription } = await subscribe(target, stripe, 5);
    const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'http://app.example/t/t1/billing' });
    expect(portal.url).toBe(`${target.url}/portal/${portal.id}`);

    const page = await (await fetch(portal.url)).text();
    expect(page).toContain('Local Stripe emulator');
    expect(page).toContain('http://app.example/t/t1/billing');
    const forms = formsIn(page);
    const seats = forms.find((form) => form.action.endsWith('/quantity'));
    const cancel = forms.find((form) => form.action.endsWith('/cancel'));
    if (!seats || !cancel) throw new Error('portal page lacks the seat or cancel form');

    await target.waitForDeliveries();
    endpoint.received.length = 0;
    const changed = await postForm(new URL(seats.action, target.url).href, { quantity: '8' });
    expect(changed.status).toBe(303);
    expect(changed.headers.get('location')).toBe(`/portal/${portal.id}`);
    expect((await stripe.subscriptions.retrieve(subscription.id)).items.data[0]?.quantity).toBe(8);

    await target.waitForDeliveries();
    const [updated] = endpoint.received.map(({ event }) => event) as Stripe.CustomerSubscriptionUpdatedEvent[];
    expect(updated?.type).toBe('customer.subscription.updated');
    expect(updated?.data.object.items.data[0]?.quantity).toBe(8);
    expect(updated?.data.previous_attributes?.items?.data[0]?.quantity).toBe(5);

    const canceled = await postForm(new URL(cancel.action, target.url).href, {});
    expect(canceled.status).toBe(303);
    await target.waitForDeliveries();
    const deleted = endpoint.received.at(-1)?.event as Stripe.CustomerSubscriptionDeletedEvent;
    expect(deleted.type).toBe('customer.subscription.deleted');
    expect(deleted.data.object.status).toBe('canceled');
    expect((await stripe.subscriptions.list({ customer: customer.id })).data).toHaveLength(0);
    expect((await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(1);
  });

  test('the SDK updates quantity and metadata and cancels, with matching events', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { subscription } = await subscribe(target, stripe, 5);
    const item = subscription.items.data[0];
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item?.id, quantity: 6 }],
      proration_behavior: 'create_prorations',
      metadata: { seats_note: 'grew' },
    });
    expect(updated.items.data[0]?.quantity).toBe(6);
    expect(updated.metadata).toEqual({ tenant_id: 't1', plan: 'pro', seats_note: 'grew' });
    await expect(
      stripe.subscriptions.update(subscription.id, { items: [{ id: 'si_missing', quantity: 2 }] }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'items[0][id]' });

    const canceled = await stripe.subscriptions.cancel(subscription.id);
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_details: { reason: 'cancellation_requested' } });
    const types = (await target.pullEvents()).events.map((event) => event.type);
    expect(types.slice(-2)).toEqual(['customer.subscription.updated', 'customer.subscription.deleted']);
  });
});

describe('clock', () => {
  test('renews at period end: invoice.paid and customer.subscription.updated with the new period', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { subscription } = await subscribe(target, stripe, 4);
    const oldEnd = subscription.items.data[0]?.current_period_end ?? 0;
    const { cursor } = await target.pullEvents();

    const advanced = await control(target, 'POST', '/_emulator/clock/advance', { days: 32 });
    expect(advanced.status).toBe(200);
    expect(advanced.body.events).toEqual([
      { id: expect.any(String), type: 'customer.subscription.updated' },
      { id: expect.any(String), type: 'invoice.paid' },
    ]);
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(renewed.status).toBe('active');
    expect(renewed.items.data[0]?.current_period_start).toBe(oldEnd);
    expect(renewed.items.data[0]?.current_period_end).toBeGreaterThan(oldEnd + 27 * DAY);

    const [updated] = (await target.pullEvents(cursor)).events.map(
      (event) => JSON.parse(event.payload) as Stripe.CustomerSubscriptionUpdatedEvent,
    );
    expect(updated?.data.previous_attributes?.items?.data[0]?.current_period_end).toBe(oldEnd);
    const invoice = await stripe.invoices.retrieve(String(renewed.latest_invoice));
    expect(invoice).toMatchObject({ status: 'paid', billing_reason: 'subscription_cycle', amount_paid: 4800 });
  });

  test('failing payments: past_due at renewal, unpaid once the retry window has passed', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer, subscription } = await subscribe(target, stripe, 2);
    const failing = await control(target, 'POST', `/_emulator/customers/${customer.id}/fail-payments`, { fail: true });
    expect(failing.body).toEqual({ customer: customer.id, failPayments: true });

    const renewal = target.advanceClock({ days: 31 });
    expect(renewal.events.map((event) => event.type)).toEqual(['customer.subscription.updated', 'invoice.payment_failed']);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('past_due');
    const openInvoice = await stripe.invoices.retrieve(
      String((await stripe.subscriptions.retrieve(subscription.id)).latest_invoice),
    );
    expect(openInvoice).toMatchObject({ status: 'open', amount_remaining: 2400 });

    const lapse = target.advanceClock({ days: 15 });
    expect(lapse.events.map((event) => event.type)).toEqual(['customer.subscription.updated']);
    const unpaid = await stripe.subscriptions.retrieve(subscription.id);
    expect(unpaid.status).toBe('unpaid');
    const last = (await stripe.events.list({ type: 'customer.subscription.updated', limit: 1 })).data[0];
    expect(last?.data.previous_attributes).toMatchObject({ status: 'past_due' });
  });

  test('a past_due subscription recovers once payments succeed; afterRetries can cancel instead', async () => {
    const target = await emulator({ afterRetries: 'canceled', retryWindowDays: 7 });
    const stripe = sdk(target);
    const first = await subscribe(target, stripe, 1);
    target.setPaymentFailure(first.customer.id, true);
    target.advanceClock({ days: 31 });
    expect((await stripe.subscriptions.retrieve(first.subscription.id)).status).toBe('past_due');
    target.setPaymentFailure(first.customer.id, false);
    const recovery = target.advanceClock({ seconds: 3600 });
    expect(recovery.events.map((event) => event.type)).toEqual(['invoice.paid', 'customer.subscription.updated']);
    expect((await stripe.subscriptions.retrieve(first.subscription.id)).status).toBe('active');

    target.setPaymentFailure(first.customer.id, true);
    target.advanceClock({ days: 31 });
    const lapse = target.advanceClock({ days: 8 });
    expect(lapse.events.map((event) => event.type)).toEqual(['customer.subscription.deleted']);
    expect(await stripe.subscriptions.retrieve(first.subscription.id)).toMatchObject({
      status: 'canceled',
      cancellation_details: { reason: 'payment_failed' },
    });
  });

  test('open Checkout Sessions expire after 24 hours', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'new@example.com',
      line_items: [{ price: 'price_pro_monthly', quantity: 1 }],
    });
    expect(target.advanceClock({ days: 1, seconds: 60 }).events.map((event) => event.type)).toEqual([
      'checkout.session.expired',
    ]);
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('expired');
    expect((await fetch(`${target.url}/checkout/${session.id}`)).status).toBe(410);
    expect((await postForm(`${target.url}/checkout/${session.id}/pay`, { card: '4242424242424242' })).status).toBe(400);
  });

  test('cancel_at_period_end ends the subscription when the period is over', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { subscription } = await subscribe(target, stripe, 1);
    const scheduled = await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    expect(scheduled.cancel_at).toBe(subscription.items.data[0]?.current_period_end);
    const advanced = target.advanceClock({ days: 32 });
    expect(advanced.events.map((event) => event.type)).toEqual(['customer.subscription.deleted']);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled');
  });
});

describe('faults and operator controls', () => {
  test('failNext surfaces 500 and 429 as the SDK errors, then the API recovers', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    await control(target, 'POST', '/_emulator/faults', { failNext: 1, status: 500 });
    await expect(stripe.customers.list()).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
    await expect(stripe.customers.list()).resolves.toMatchObject({ object: 'list' });

    target.setFaults({ failNext: 2, status: 429 });
    await expect(stripe.customers.create({ email: 'a@example.com' })).rejects.toMatchObject({
      type: 'StripeRateLimitError',
      statusCode: 429,
      code: 'rate_limit',
    });
    const raw = await fetch(`${target.url}/v1/customers`, { headers: { Authorization: 'Bearer sk_test_x' } });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect((await stripe.customers.list()).data).toHaveLength(0);
  });

  test('latencyMs delays API answers', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    target.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await stripe.customers.list();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  test('reset clears state, faults and the clock; state dumps everything', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    await subscribe(target, stripe, 2);
    target.setFaults({ latencyMs: 5, duplicateDeliveries: true });
    target.advanceClock({ days: 3 });

    const state = await control(target, 'GET', '/_emulator/state');
    expect(state.body.customers).toHaveLength(1);
    expect(state.body.subscriptions).toHaveLength(1);
    expect(state.body.checkoutSessions).toHaveLength(1);

    const { cursor } = await target.pullEvents();
    expect((await control(target, 'POST', '/_emulator/reset')).status).toBe(200);
    const after = target.state();
    expect(after.customers).toEqual([]);
    expect(after.subscriptions).toEqual([]);
    expect(after.eventCount).toBe(0);
    expect(after.faults).toMatchObject({ latencyMs: 0, duplicateDeliveries: false });
    expect(Math.abs(after.now - Date.now() / 1000)).toBeLessThan(5);
    expect((await stripe.prices.retrieve('price_pro_monthly')).unit_amount).toBe(1200);
    await stripe.customers.create({ email: 'after-reset@example.com' });
    expect((await target.pullEvents(cursor)).events.map((event) => event.type)).toEqual(['customer.created']);
  });

  test('controls validate their input', async () => {
    const target = await emulator();
    expect((await control(target, 'POST', '/_emulator/faults', { status: 418 })).status).toBe(400);
    expect((await control(target, 'POST', '/_emulator/clock/advance', {})).status).toBe(400);
    expect((await control(target, 'POST', '/_emulator/customers/cus_missing/fail-payments', { fail: true })).status).toBe(404);
  });
});
