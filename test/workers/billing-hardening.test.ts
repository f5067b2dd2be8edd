/**
 * Billing under attack or accident (issue 17 #4–#7): seat quantities set on
 * Stripe's side, concurrent checkouts, a customer deleted in Stripe, and a
 * stranger's subscription claiming a tenant by metadata.
 */
import { env } from 'cloudflare:workers';
import type Stripe from 'stripe';
import { describe, expect, it, vi } from 'vitest';
import { MAX_SEATS } from '../../src/features/billing/inputs';
import { stripeClient } from '../../src/features/billing/stripe';
import { syncSubscriptionFromStripe } from '../../src/features/billing/sync/subscription';
import { serviceContext } from '../../src/platform/context';
import { call, signUpOwner, uniqueEmail, type SignedUp } from './helpers';
import { billing, checkoutAndPay, currentCursor, customerOf, deliver, eventsFor, eventually, payCheckout, postWebhook, settled, testStripe } from './stripe-helpers';

async function subscribedPro(seats: number): Promise<{ owner: SignedUp; subscriptionId: string; cursor: number }> {
  const owner = await signUpOwner();
  const { cursor } = await checkoutAndPay(owner, seats);
  const next = await deliver(owner, cursor);
  await eventually(async () => expect((await billing(owner)).seats.limit).toBe(seats));
  // The checkout's later events must not be in the queue when a test changes Stripe: they re-read it.
  await settled(owner, cursor);
  const row = await env.DB.prepare('SELECT stripe_subscription_id AS id FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first<{ id: string }>();
  return { owner, subscriptionId: row?.id ?? '', cursor: next };
}

/** Changes the quantity on Stripe's side (the portal or the dashboard), as the app never would. */
async function setQuantityInStripe(subscriptionId: string, quantity: number): Promise<void> {
  const subscription = await testStripe.subscriptions.retrieve(subscriptionId);
  await testStripe.subscriptions.update(subscriptionId, { items: [{ id: subscription.items.data[0]!.id, quantity }], proration_behavior: 'none' });
}

describe('seat quantities from Stripe (#4)', () => {
  it('caps a quantity above what the product sells', async () => {
    const { owner, subscriptionId, cursor } = await subscribedPro(5);
    await setQuantityInStripe(subscriptionId, 10_000);
    await deliver(owner, cursor);
    await eventually(async () => expect((await billing(owner)).seats.limit).toBe(MAX_SEATS));
    const row = await env.DB.prepare('SELECT seat_quantity FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first();
    expect(row).toEqual({ seat_quantity: MAX_SEATS });
  });

  it('applies fewer seats than are in use, flags the over-use on the billing page and in ops, and refuses new holders', async () => {
    const { owner, subscriptionId, cursor } = await subscribedPro(5);
    const base = `/api/t/${owner.tenant.slug}`;
    for (let i = 0; i < 3; i++) {
      expect((await call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('held'), role: 'member' } })).status).toBe(201);
    }
    await setQuantityInStripe(subscriptionId, 1);
    await deliver(owner, cursor);
    const summary = await eventually(async () => {
      const s = await billing(owner);
      expect(s.seats).toEqual({ used: 4, limit: 1 });
      return s;
    });
    // The billing page renders this flag as its over-limit notice.
    expect(summary.overLimit.seats).toBe(true);
    const ops = await call('GET', `/ops/tenants/${owner.tenant.slug}/timeline`, { headers: { authorization: 'Bearer test-ops-token' } });
    expect(ops.status).toBe(200);
    expect(ops.body.seats).toMatchObject({ used: 4, limit: 1, overLimit: true });
    const refused = await call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('more'), role: 'member' } });
    expect(refused.status).toBe(402);
  });
});

describe('concurrent checkouts (#5)', () => {
  it('answer without a 500, and leave exactly one open checkout, one of those returned', async () => {
    const owner = await signUpOwner();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => call('POST', `/api/t/${owner.tenant.slug}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 4 } })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const open = await testStripe.checkout.sessions.list({ customer: await customerOf(owner), status: 'open', limit: 100 });
    expect(open.data).toHaveLength(1);
    expect(results.map((r) => r.body.url)).toContain(open.data[0]!.url);
  });
});

describe('a Stripe customer that no longer exists (#6)', () => {
  it('seat changes answer 409 with the way out, and the next checkout makes a new customer and works', async () => {
    const { owner } = await subscribedPro(4);
    const base = `/api/t/${owner.tenant.slug}`;
    const old = await customerOf(owner);
    await testStripe.customers.del(old);

    const seats = await call('POST', `${base}/billing/seats`, { token: owner.token, body: { quantity: 6 } });
    expect(seats.status).toBe(409);
    expect(seats.body.error.message).toMatch(/upgrade again/);
    expect(await billing(owner)).toMatchObject({ plan: 'free' });

    const checkout = await call('POST', `${base}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 4 } });
    expect(checkout.status).toBe(200);
    const replacement = await customerOf(owner);
    expect(replacement).not.toBe(old);
    expect((await testStripe.customers.retrieve(replacement)).deleted).toBeFalsy();
    expect((await payCheckout(checkout.body.url)).status).toBe(303);
    const log = await call('GET', `${base}/audit-log?action=billing.customer_recreated`, { token: owner.token });
    expect(log.body.entries).toHaveLength(1);
  });

  it('the billing portal recreates the customer instead of answering 500', async () => {
    const owner = await signUpOwner();
    const started = await call('POST', `/api/t/${owner.tenant.slug}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 2 } });
    expect(started.status).toBe(200);
    const old = await customerOf(owner);
    await testStripe.customers.del(old);
    const portal = await call('POST', `/api/t/${owner.tenant.slug}/billing/portal`, { token: owner.token });
    expect(portal.status).toBe(200);
    expect(await customerOf(owner)).not.toBe(old);
  });
});

describe('subscriptions matched by customer, never by metadata alone (#7)', () => {
  it("a stranger's subscription claiming tenant V in its metadata does not take V over", async () => {
    const victim = await signUpOwner('Victim Co');
    const paid = await checkoutAndPay(victim, 2);
    await deliver(victim, paid.cursor);
    await eventually(async () => expect((await billing(victim)).seats.limit).toBe(2));
    const victimCustomer = await customerOf(victim);

    const cursor = await currentCursor();
    const stranger = await testStripe.customers.create({ name: 'Stranger' });
    const metadata = { tenant_id: victim.tenant.id, plan: 'pro' };
    const session = await testStripe.checkout.sessions.create({
      mode: 'subscription',
      customer: stranger.id,
      line_items: [{ price: env.STRIPE_PRICE_PRO, quantity: 50 }],
      metadata,
      subscription_data: { metadata },
      success_url: 'http://example.test/ok',
      cancel_url: 'http://example.test/cancel',
    });
    await payCheckout(session.url ?? '');
    const { events } = await eventsFor(stranger.id, cursor);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect((await postWebhook(event)).status).toBe(200);

    // Every event of the stranger is settled (processed, or dead-lettered as no tenant's) without touching V.
    await eventually(async () => {
      const pending = await env.DB.prepare('SELECT COUNT(*) AS n FROM stripe_events WHERE payload LIKE ? AND processed_at IS NULL AND dead_at IS NULL')
        .bind(`%${stranger.id}%`)
        .first<{ n: number }>();
      expect(pending?.n).toBe(0);
    });
    expect(await customerOf(victim)).toBe(victimCustomer);
    const summary = await billing(victim);
    expect(summary.seats.limit).toBe(2);
  });
});

describe('a seat reduction against a late webhook sync (#3)', () => {
  it('a sync whose Stripe read began before the reduction cannot overwrite it', async () => {
    const { owner, subscriptionId } = await subscribedPro(10);
    // What a webhook sync that started now would read: the old quantity.
    const staleRead = await testStripe.subscriptions.retrieve(subscriptionId);
    const readBegan = Date.now();

    const change = await call('POST', `/api/t/${owner.tenant.slug}/billing/seats`, { token: owner.token, body: { quantity: 3 } });
    expect(change.status).toBe(202);

    // That sync writes only now, after the app's own write.
    const client = stripeClient(env);
    const retrieve = vi.spyOn(client.subscriptions, 'retrieve').mockResolvedValueOnce(staleRead as Stripe.Response<Stripe.Subscription>);
    const ctx = serviceContext(env, 'test-late-sync');
    vi.spyOn(Date, 'now').mockReturnValueOnce(readBegan);
    try {
      const outcome = await syncSubscriptionFromStripe(ctx, subscriptionId);
      expect(outcome).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/newer read/) });
    } finally {
      vi.restoreAllMocks();
    }
    expect(retrieve).toHaveBeenCalled();
    expect((await billing(owner)).seats).toEqual({ used: 1, limit: 3 });
    const row = await env.DB.prepare('SELECT seat_quantity FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first();
    expect(row).toEqual({ seat_quantity: 3 });
  });
});
