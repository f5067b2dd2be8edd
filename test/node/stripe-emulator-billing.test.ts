/**
 * The emulator's billing as the app's cost preview relies on it: prorations
 * created at the moment of a seat change, the upcoming-invoice preview
 * (`stripe.invoices.createPreview`), invoices and their hosted pages, the
 * portal's card form and cancellation at period end. Amounts are checked
 * at the middle of a period, where Stripe's proration factor is exactly ½.
 */
import type Stripe from 'stripe';
import { afterEach, describe, expect, test } from 'vitest';
import type { StripeEmulator } from '../../tools/stripe-emulator/server.ts';
import { cleanUp, DAY, emulator, formsIn, postForm, sdk, subscribe } from './stripe-emulator-helpers.ts';

afterEach(cleanUp);

/** A 5-seat pro subscription (12 $ per seat and month) with the clock moved to the middle of its first period. */
async function atMidPeriod(target: StripeEmulator, stripe: Stripe, quantity = 5) {
  const subscribed = await subscribe(target, stripe, quantity);
  const item = subscribed.subscription.items.data[0];
  if (!item) throw new Error('subscription without an item');
  const start = item.current_period_start;
  const end = item.current_period_end;
  // Months are whole days long, so the middle is a whole second and the factor exactly ½.
  const middle = start + (end - start) / 2;
  target.advanceClock({ seconds: middle - target.now() });
  return { ...subscribed, item, start, end, middle };
}

function prorationLines(invoice: Stripe.Invoice): Stripe.InvoiceLineItem[] {
  return invoice.lines.data.filter((line) => line.parent?.subscription_item_details?.proration === true);
}

function periodLines(invoice: Stripe.Invoice): Stripe.InvoiceLineItem[] {
  return invoice.lines.data.filter((line) => line.parent?.subscription_item_details?.proration === false);
}

describe('invoice preview (stripe.invoices.createPreview)', () => {
  test('a seat increase: credit for the unused time at 5 seats, charge for the rest at 8, then the next period at 8', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer, subscription, item, end, middle } = await atMidPeriod(target, stripe);
    const { cursor } = await target.pullEvents();

    const preview = await stripe.invoices.createPreview({
      customer: customer.id,
      subscription: subscription.id,
      subscription_details: { items: [{ id: item.id, quantity: 8 }], proration_date: middle },
    });

    expect(preview).toMatchObject({
      object: 'invoice',
      status: 'draft',
      billing_reason: 'upcoming',
      customer: customer.id,
      currency: 'usd',
      created: end,
      total: 11_400,
      amount_due: 11_400,
    });
    expect(preview.id).toMatch(/^upcoming_in_/);
    expect(prorationLines(preview).map((line) => [line.amount, line.quantity, line.period])).toEqual([
      [-3000, 5, { start: middle, end }],
      [4800, 8, { start: middle, end }],
    ]);
    expect(prorationLines(preview).map((line) => line.description)).toEqual([
      expect.stringMatching(/^Unused time on 5 × Pro .* after \d\d \w{3} \d{4}$/),
      expect.stringMatching(/^Remaining time on 8 × Pro .* after \d\d \w{3} \d{4}$/),
    ]);
    const [next] = periodLines(preview);
    expect(next).toMatchObject({ amount: 9600, quantity: 8, period: { start: end } });

    // A preview changes nothing and is not an invoice anyone can fetch.
    expect((await stripe.subscriptions.retrieve(subscription.id)).items.data[0]?.quantity).toBe(5);
    expect((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data).toEqual([]);
    expect((await target.pullEvents(cursor)).events).toEqual([]);
    await expect(stripe.invoices.retrieve(preview.id)).rejects.toMatchObject({ statusCode: 404 });
  });

  test('with always_invoice it is the invoice the change issues now: the prorations alone', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { subscription, item, middle } = await atMidPeriod(target, stripe);
    const now = await stripe.invoices.createPreview({
      subscription: subscription.id,
      subscription_details: {
        items: [{ id: item.id, quantity: 8 }],
        proration_behavior: 'always_invoice',
        proration_date: middle,
      },
    });
    expect(now).toMatchObject({ amount_due: 1800, total: 1800, period_start: middle, period_end: middle });
    expect(periodLines(now)).toEqual([]);
    expect(prorationLines(now).map((line) => line.amount)).toEqual([-3000, 4800]);
  });

  test('a plan switch: the new price starts at quantity 1 unless one is given, and is prorated the same way', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { subscription, item, middle } = await atMidPeriod(target, stripe);
    const preview = await stripe.invoices.createPreview({
      subscription: subscription.id,
      subscription_details: { items: [{ id: item.id, price: 'price_enterprise_monthly' }], proration_date: middle },
    });
    expect(prorationLines(preview).map((line) => [line.amount, line.quantity])).toEqual([
      [-3000, 5],
      [25_000, 1],
    ]);
    expect(periodLines(preview).map((line) => [line.amount, line.quantity])).toEqual([[50_000, 1]]);
  });

  test('refuses what Stripe refuses', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { subscription, item, start } = await atMidPeriod(target, stripe);
    await expect(
      stripe.invoices.createPreview({
        subscription: subscription.id,
        subscription_details: { items: [{ id: item.id, quantity: 8 }], proration_date: start - DAY },
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'subscription_details[proration_date]' });
    await expect(
      stripe.invoices.createPreview({
        subscription: subscription.id,
        subscription_details: { items: [{ id: item.id, quantity: 8 }], proration_behavior: 'none', proration_date: start },
      }),
    ).rejects.toMatchObject({ statusCode: 400, param: 'subscription_details[proration_date]' });
    await expect(stripe.invoices.createPreview({ subscription: 'sub_missing' })).rejects.toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'subscription',
    });
    await expect(stripe.invoices.createPreview({ customer: String(subscription.customer) })).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
    });
    await stripe.subscriptions.cancel(subscription.id);
    await expect(stripe.invoices.createPreview({ subscription: subscription.id })).rejects.toMatchObject({
      statusCode: 400,
      code: 'invoice_upcoming_none',
    });
  });
});

describe('prorations on a quantity change', () => {
  test('create_prorations makes pending invoice items at once, which the preview shows and the renewal bills', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer, subscription, item, end, middle } = await atMidPeriod(target, stripe);
    const quoted = await stripe.invoices.createPreview({
      subscription: subscription.id,
      subscription_details: { items: [{ id: item.id, quantity: 8 }], proration_date: middle },
    });

    await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, quantity: 8 }],
      proration_behavior: 'create_prorations',
      proration_date: middle,
    });
    // Listed newest first: the charge was created just after the credit.
    const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    expect(pending.data.map((invoiceItem) => [invoiceItem.amount, invoiceItem.quantity, invoiceItem.proration])).toEqual([
      [4800, 8, true],
      [-3000, 5, true],
    ]);
    expect(pending.data.every((invoiceItem) => invoiceItem.invoice === null)).toBe(true);

    // The plain upcoming invoice now holds what the preview promised.
    const upcoming = await stripe.invoices.createPreview({ subscription: subscription.id });
    expect(upcoming.amount_due).toBe(quoted.amount_due);
    expect(prorationLines(upcoming).map((line) => line.parent?.subscription_item_details?.invoice_item)).toEqual(
      pending.data.map((invoiceItem) => invoiceItem.id).reverse(),
    );

    target.advanceClock({ seconds: end - target.now() + 60 });
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    const invoice = await stripe.invoices.retrieve(String(renewed.latest_invoice));
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', amount_paid: 11_400 });
    expect(prorationLines(invoice).map((line) => line.amount)).toEqual([-3000, 4800]);
    expect((await stripe.invoiceItems.list({ customer: customer.id, pending: true })).data).toEqual([]);
    expect((await stripe.invoiceItems.retrieve(pending.data[0]?.id ?? '')).invoice).toBe(invoice.id);
  });

  test('the preview says which proration date it used; updating with it later bills exactly what was quoted', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer, subscription, item } = await atMidPeriod(target, stripe);
    const asked = target.now();
    const quoted = await stripe.invoices.createPreview({
      subscription: subscription.id,
      subscription_details: { items: [{ id: item.id, quantity: 8 }] },
    });
    const prorationDate = quoted.parent?.subscription_details?.subscription_proration_date;
    expect(prorationDate).toBeGreaterThanOrEqual(asked);
    expect(prorationDate).toBeLessThanOrEqual(target.now());

    // The person takes three hours to confirm: a fresh quote would be lower by then, the first one still holds.
    target.advanceClock({ seconds: 3 * 3600 });
    const later = await stripe.invoices.createPreview({
      subscription: subscription.id,
      subscription_details: { items: [{ id: item.id, quantity: 8 }] },
    });
    expect(later.amount_due).toBeLessThan(quoted.amount_due);
    await stripe.subscriptions.update(subscription.id, { items: [{ id: item.id, quantity: 8 }], proration_date: prorationDate });
    const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    expect(pending.data.map((invoiceItem) => invoiceItem.amount).toSorted()).toEqual(
      prorationLines(quoted).map((line) => line.amount).toSorted(),
    );
    expect((await stripe.invoices.createPreview({ subscription: subscription.id })).amount_due).toBe(quoted.amount_due);
  });

  test('always_invoice bills the prorations on their own invoice at once', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { subscription, item, middle } = await atMidPeriod(target, stripe);
    const { cursor } = await target.pullEvents();
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, quantity: 8 }],
      proration_behavior: 'always_invoice',
      proration_date: middle,
    });
    const invoice = await stripe.invoices.retrieve(String(updated.latest_invoice));
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_update',
      status: 'paid',
      amount_paid: 1800,
      period_start: middle,
      period_end: middle,
    });
    expect((await target.pullEvents(cursor)).events.map((event) => event.type)).toEqual([
      'customer.subscription.updated',
      'invoice.paid',
    ]);
  });

  test('always_invoice with a failing card leaves the invoice open and the subscription past_due', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer, subscription, item } = await atMidPeriod(target, stripe);
    target.setPaymentFailure(customer.id, true);
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, quantity: 8 }],
      proration_behavior: 'always_invoice',
    });
    expect(updated.status).toBe('past_due');
    const invoice = await stripe.invoices.retrieve(String(updated.latest_invoice));
    expect(invoice).toMatchObject({ status: 'open', amount_paid: 0, auto_advance: true });
    expect(invoice.amount_remaining).toBeGreaterThan(0);
  });

  test('a decrease billed at once leaves a credit balance that pays the next renewal', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer, subscription, item, end, middle } = await atMidPeriod(target, stripe);
    const updated = await stripe.subscriptions.update(subscription.id, {
      items: [{ id: item.id, quantity: 1 }],
      proration_behavior: 'always_invoice',
      proration_date: middle,
    });
    const credit = await stripe.invoices.retrieve(String(updated.latest_invoice));
    expect(credit).toMatchObject({ total: -2400, amount_due: 0, status: 'paid', ending_balance: -2400 });
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ balance: -2400 });

    target.advanceClock({ seconds: end - target.now() + 60 });
    const renewal = await stripe.invoices.retrieve(String((await stripe.subscriptions.retrieve(subscription.id)).latest_invoice));
    expect(renewal).toMatchObject({ total: 1200, starting_balance: -2400, amount_due: 0, ending_balance: -1200 });
    expect((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ balance: -1200 });
  });

  test('proration_behavior none changes the quantity without prorations', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer, subscription, item } = await atMidPeriod(target, stripe);
    await stripe.subscriptions.update(subscription.id, { items: [{ id: item.id, quantity: 8 }], proration_behavior: 'none' });
    expect((await stripe.invoiceItems.list({ customer: customer.id })).data).toEqual([]);
  });
});

describe('invoices', () => {
  test('carry the fields of the current Invoice type, a number and a hosted page', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { subscription } = await subscribe(target, stripe, 5);
    const invoice = await stripe.invoices.retrieve(String(subscription.latest_invoice));
    expect(invoice).toMatchObject({ amount_paid_off_stripe: 0, auto_advance: false, customer_tax_ids: [], invoice_pdf: null });
    expect(invoice.number).toMatch(/^[A-Z0-9]+-0001$/);
    expect(invoice.hosted_invoice_url).toBe(`${target.url}/invoices/${invoice.id}`);
    const page = await fetch(invoice.hosted_invoice_url ?? '');
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain(invoice.number);
    expect(text).toContain('5 × Pro');
    expect(text).toContain('$60.00');
    expect((await stripe.invoices.listLineItems(invoice.id)).data.map((line) => line.amount)).toEqual([6000]);
  });
});

describe('checkout sessions', () => {
  test('ui_mode is hosted_page, a value of the current API; others are refused, not ignored', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'subscription',
      line_items: [{ price: 'price_pro_monthly', quantity: 1 }],
      success_url: 'http://app.example/ok',
    };
    expect((await stripe.checkout.sessions.create(params)).ui_mode).toBe('hosted_page');
    expect((await stripe.checkout.sessions.create({ ...params, ui_mode: 'hosted_page' })).ui_mode).toBe('hosted_page');
    await expect(stripe.checkout.sessions.create({ ...params, ui_mode: 'embedded_page' })).rejects.toMatchObject({
      statusCode: 400,
      param: 'ui_mode',
    });
  });
});

describe('a canceled subscription', () => {
  test('only takes metadata and cancellation_details; anything else is invalid_canceled_subscription_fields', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { subscription } = await subscribe(target, stripe, 2);
    const item = subscription.items.data[0];
    await stripe.subscriptions.cancel(subscription.id);
    for (const params of [
      { items: [{ id: item?.id, quantity: 3 }] },
      { cancel_at_period_end: false },
      { proration_behavior: 'none' as const },
    ]) {
      await expect(stripe.subscriptions.update(subscription.id, params)).rejects.toMatchObject({
        type: 'StripeInvalidRequestError',
        statusCode: 400,
        code: 'invalid_canceled_subscription_fields',
        message: 'A canceled subscription can only update its cancellation_details and metadata.',
      });
    }
    const noted = await stripe.subscriptions.update(subscription.id, {
      metadata: { note: 'left' },
      cancellation_details: { comment: 'too expensive' },
    });
    expect(noted).toMatchObject({ status: 'canceled', metadata: { note: 'left' }, cancellation_details: { comment: 'too expensive' } });
  });
});

describe('billing portal', () => {
  async function portalFor(target: StripeEmulator, stripe: Stripe, customerId: string) {
    const portal = await stripe.billingPortal.sessions.create({ customer: customerId, return_url: 'http://app.example/billing' });
    const page = async () => (await fetch(portal.url)).text();
    const submit = async (actionEnding: string, fields: Record<string, string> = {}) => {
      const form = formsIn(await page()).find((candidate) => candidate.action.endsWith(actionEnding));
      if (!form) throw new Error(`no form ending in ${actionEnding} on the portal page`);
      return postForm(new URL(form.action, target.url).href, fields);
    };
    return { portal, page, submit };
  }

  test('lists the invoices with their amount, status and hosted page, and the next invoice', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer, subscription } = await subscribe(target, stripe, 5);
    const invoice = await stripe.invoices.retrieve(String(subscription.latest_invoice));
    const { page } = await portalFor(target, stripe, customer.id);
    const html = await page();
    const row = /<tr><td>[^<]*<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td><a href="([^"]*)">View<\/a><\/td><\/tr>/.exec(html);
    expect(row?.slice(1)).toEqual([invoice.number, '$60.00', 'paid', invoice.hosted_invoice_url]);
    expect(html).toMatch(/Next invoice: <strong>\$60\.00<\/strong>/);
  });

  test('a card that Stripe declines is refused; 4242 becomes the default; 0341 is saved but its charges fail', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer, subscription } = await subscribe(target, stripe, 2);
    const { page, submit } = await portalFor(target, stripe, customer.id);
    const { cursor } = await target.pullEvents();

    const declined = await submit('/payment-method', { card: '4000 0000 0000 0002' });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');
    expect(((await stripe.customers.retrieve(customer.id)) as Stripe.Customer).invoice_settings.default_payment_method).toBeNull();
    expect((await target.pullEvents(cursor)).events).toEqual([]);

    const saved = await submit('/payment-method', { card: '4242424242424242' });
    expect(saved.status).toBe(303);
    const withCard = (await stripe.customers.retrieve(customer.id)) as Stripe.Customer;
    expect(withCard.invoice_settings.default_payment_method).toMatch(/^pm_/);
    expect(await page()).toContain('•••• 4242');
    const [updated] = (await target.pullEvents(cursor)).events;
    expect(updated?.type).toBe('customer.updated');

    expect((await submit('/payment-method', { card: '4000000000000341' })).status).toBe(303);
    expect(await page()).toContain('•••• 0341');
    target.advanceClock({ days: 32 });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('past_due');
  });

  test('cancel at period end keeps the subscription until the period is over; "Don\'t cancel" takes it back', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer, subscription } = await subscribe(target, stripe, 3);
    const end = subscription.items.data[0]?.current_period_end;
    const { page, submit } = await portalFor(target, stripe, customer.id);

    expect((await submit('/cancel-at-period-end')).status).toBe(303);
    expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({
      status: 'active',
      cancel_at_period_end: true,
      cancel_at: end,
    });
    expect((await submit('/renew')).status).toBe(303);
    expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ cancel_at_period_end: false, cancel_at: null });

    expect((await submit('/cancel-at-period-end')).status).toBe(303);
    const scheduled = await page();
    expect(scheduled).toContain("Don't cancel");
    expect(scheduled).not.toContain('Next invoice');
    await expect(stripe.invoices.createPreview({ subscription: subscription.id })).rejects.toMatchObject({
      code: 'invoice_upcoming_none',
    });
    expect(target.advanceClock({ days: 10 }).events).toEqual([]);
    expect(target.advanceClock({ days: 22 }).events.map((event) => event.type)).toEqual(['customer.subscription.deleted']);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled');
  });

  test('a seat change there is prorated like an API update', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const { customer } = await atMidPeriod(target, stripe);
    const { submit } = await portalFor(target, stripe, customer.id);
    expect((await submit('/quantity', { quantity: '8' })).status).toBe(303);
    const pending = await stripe.invoiceItems.list({ customer: customer.id, pending: true });
    expect(pending.data.map((invoiceItem) => invoiceItem.amount)).toEqual([4800, -3000]);
  });
});
