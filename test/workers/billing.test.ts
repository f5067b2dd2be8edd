/**
 * The billing flow end to end, against the Stripe emulator through the
 * official SDK: checkout → payment on the hosted page → signed webhooks →
 * queue → D1 and the tenant's object → limits. Tests that move the
 * emulator's clock or inject its faults live in test/stripe-time/.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { retryDelaySeconds } from '../../src/features/billing/sync/consumer';
import { reconcileSubscriptions, sweepStripeEvents } from '../../src/features/billing/sync/jobs';
import { syncSubscriptionFromStripe } from '../../src/features/billing/sync/subscription';
import worker from '../../src/index';
import { serviceContext } from '../../src/platform/context';
import { countRows } from './db-snapshot';
import { call, signUpOwner, uniqueEmail, type SignedUp } from './helpers';
import {
  billing,
  checkoutAndPay,
  currentCursor,
  customerOf,
  deliver,
  eventsFor,
  eventually,
  payCheckout,
  postWebhook,
  signedHeader,
  testStripe,
} from './stripe-helpers';

const stripe = testStripe;

describe('checkout → payment → webhook → queue → limits', () => {
  it('a free tenant buys 10 pro seats: nothing changes until Stripe confirms, then 5 more invitations fit, and a seat change to 12 shows once confirmed', async () => {
    const owner = await signUpOwner('Paying Co');
    const base = `/api/t/${owner.tenant.slug}`;
    const { cursor } = await checkoutAndPay(owner, 10);

    // The redirect back grants nothing: only the webhook does.
    expect(await billing(owner)).toMatchObject({ plan: 'free', seats: { limit: 3 } });

    const next = await deliver(owner, cursor);
    const upgraded = await eventually(async () => {
      const summary = await billing(owner);
      expect(summary).toMatchObject({ plan: 'pro', status: 'active', seats: { used: 1, limit: 10 }, limits: { projects: 100 } });
      return summary;
    });
    expect(upgraded.currentPeriodEnd).toBeGreaterThan(Date.now());

    const invites = await Promise.all(
      Array.from({ length: 5 }, () => call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('seat'), role: 'member' } })),
    );
    expect(invites.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);

    const change = await call('POST', `${base}/billing/seats`, { token: owner.token, body: { quantity: 12 } });
    expect(change.status).toBe(202);
    expect((await billing(owner)).seats.limit).toBe(10);
    await deliver(owner, next);
    await eventually(async () => expect((await billing(owner)).seats).toEqual({ used: 6, limit: 12 }));

    const log = await call('GET', `${base}/audit-log?action=subscription.updated`, { token: owner.token });
    expect(log.body.entries.map((e: { actor: { type: string } }) => e.actor.type)).toEqual(['system', 'system']);
  });

  it('sells enterprise only through sales: a self-serve enterprise checkout is refused and writes nothing', async () => {
    const owner = await signUpOwner();
    const res = await call('POST', `/api/t/${owner.tenant.slug}/billing/checkout`, { token: owner.token, body: { plan: 'enterprise', seats: 1000 } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error.details)).toMatch(/contact sales/);
    const row = await env.DB.prepare('SELECT stripe_customer_id FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first();
    expect(row).toEqual({ stripe_customer_id: null });
  });

  it('applies a seat reduction at once, so nobody fills seats no longer paid for before Stripe confirms', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const { cursor } = await checkoutAndPay(owner, 10);
    await deliver(owner, cursor);
    await eventually(async () => expect((await billing(owner)).seats.limit).toBe(10));

    const change = await call('POST', `${base}/billing/seats`, { token: owner.token, body: { quantity: 3 } });
    expect(change.status).toBe(202);
    expect(change.body).toMatchObject({ quantity: 3, appliesNow: true });
    expect((await billing(owner)).seats).toEqual({ used: 1, limit: 3 });
    const invites = await Promise.all(
      Array.from({ length: 5 }, () => call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('late'), role: 'member' } })),
    );
    expect(invites.map((r) => r.status).sort()).toEqual([201, 201, 402, 402, 402]);
  });

  it('refuses a seat quantity below the seats in use', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 3);
    await deliver(owner, cursor);
    await eventually(async () => expect((await billing(owner)).plan).toBe('pro'));
    await call('POST', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token, body: { email: uniqueEmail('x'), role: 'member' } });
    const res = await call('POST', `/api/t/${owner.tenant.slug}/billing/seats`, { token: owner.token, body: { quantity: 1 } });
    expect(res.status).toBe(409);
  });

  it('creates the Stripe customer once per tenant, even for concurrent checkouts', async () => {
    const owner = await signUpOwner();
    const [a, b] = await Promise.all([
      call('POST', `/api/t/${owner.tenant.slug}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 5 } }),
      call('POST', `/api/t/${owner.tenant.slug}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 5 } }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const customer = await customerOf(owner);
    const listed = await stripe.customers.list({ limit: 100 });
    expect(listed.data.filter((c) => c.metadata.tenant_id === owner.tenant.id).map((c) => c.id)).toEqual([customer]);
  });

  it('never charges twice: a paid checkout awaiting its webhook blocks another, and only the newest open checkout can be paid', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}/billing/checkout`;
    const first = await call('POST', base, { token: owner.token, body: { plan: 'pro', seats: 5 } });
    const second = await call('POST', base, { token: owner.token, body: { plan: 'pro', seats: 6 } });
    const firstId = new URL(first.body.url).pathname.split('/').at(-1) ?? '';
    expect((await stripe.checkout.sessions.retrieve(firstId)).status).toBe('expired');
    expect((await payCheckout(second.body.url)).status).toBe(303);

    // Paid, but the webhook has not landed: the plan still reads free.
    expect((await billing(owner)).plan).toBe('free');
    const third = await call('POST', base, { token: owner.token, body: { plan: 'pro', seats: 7 } });
    expect(third.status).toBe(409);
    expect(third.body.error.message).toMatch(/already has a subscription/);
    const subscriptions = await stripe.subscriptions.list({ customer: await customerOf(owner), status: 'all' });
    expect(subscriptions.data).toHaveLength(1);
  });

  it('gives a portal URL once the tenant has a customer, and 409 before', async () => {
    const owner = await signUpOwner();
    expect((await call('POST', `/api/t/${owner.tenant.slug}/billing/portal`, { token: owner.token })).status).toBe(409);
    await call('POST', `/api/t/${owner.tenant.slug}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 5 } });
    const portal = await call('POST', `/api/t/${owner.tenant.slug}/billing/portal`, { token: owner.token });
    expect(portal.status).toBe(200);
    expect(portal.body.url).toMatch(/\/portal\//);
  });
});

describe('webhook endpoint', () => {
  const payload = () =>
    JSON.stringify({ id: `evt_test_${Math.random().toString(36).slice(2)}`, object: 'event', type: 'customer.created', data: { object: { object: 'customer', id: 'cus_x' } } });

  it('refuses forged, unsigned and stale deliveries with 400 and stores nothing', async () => {
    const before = await countRows('stripe_events');
    const body = payload();
    const forged = await postWebhook({ payload: body, signature: `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` });
    const unsigned = await call('POST', '/webhooks/stripe', { rawBody: body });
    const stale = await postWebhook({ payload: body, signature: await signedHeader(body, Math.floor(Date.now() / 1000) - 3600) });
    // Issue 17 #13: dated ten minutes ahead, so it would stay replayable for fifteen.
    const future = await postWebhook({ payload: body, signature: await signedHeader(body, Math.floor(Date.now() / 1000) + 600) });
    const tampered = await postWebhook({ payload: body.replace('cus_x', 'cus_y'), signature: await signedHeader(body) });
    for (const res of [forged, unsigned, stale, future, tampered]) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
    }
    expect(await countRows('stripe_events')).toBe(before);
  });

  it('stores a valid event once, however often it is delivered', async () => {
    const body = payload();
    const signature = await signedHeader(body);
    const before = await countRows('stripe_events');
    expect((await postWebhook({ payload: body, signature })).status).toBe(200);
    expect((await postWebhook({ payload: body, signature })).status).toBe(200);
    expect(await countRows('stripe_events')).toBe(before + 1);
  });

  it('applies the same event twice with one effect', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 4);
    const { events } = await eventsFor(await customerOf(owner), cursor);
    for (const event of [...events, ...events]) await postWebhook(event);
    await eventually(async () => expect((await billing(owner)).plan).toBe('pro'));
    const log = await call('GET', `/api/t/${owner.tenant.slug}/audit-log?action=subscription.updated`, { token: owner.token });
    expect(log.body.entries).toHaveLength(1);
  });
});

describe('out of order', () => {
  it('updated before created, and a stale update after deleted, end in Stripe’s true state', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 4);
    await deliver(owner, cursor, 'reversed');
    await eventually(async () => expect((await billing(owner)).plan).toBe('pro'));

    // Cancel in the portal; deliver the deletion first and the older update last.
    const mid = await currentCursor();
    const portal = await call('POST', `/api/t/${owner.tenant.slug}/billing/portal`, { token: owner.token });
    const portalPage = await (await fetch(portal.body.url)).text();
    const quantityAction = /action="([^"]*\/quantity)"/.exec(portalPage)?.[1];
    const cancelAction = /action="([^"]*\/cancel)"/.exec(portalPage)?.[1];
    if (!quantityAction || !cancelAction) throw new Error('portal forms not found');
    const portalBase = new URL(portal.body.url);
    await fetch(new URL(quantityAction, portalBase), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'quantity=7' });
    await fetch(new URL(cancelAction, portalBase), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    await deliver(owner, mid, 'reversed');

    await eventually(async () => expect(await billing(owner)).toMatchObject({ plan: 'free', status: 'canceled', seats: { limit: 3 } }));
  });
});

describe('queue consumer', () => {
  async function storeEvent(subscriptionId: string): Promise<string> {
    const id = `evt_test_${Math.random().toString(36).slice(2)}`;
    const body = JSON.stringify({ id, object: 'event', type: 'customer.subscription.updated', data: { object: { object: 'subscription', id: subscriptionId } } });
    expect((await postWebhook({ payload: body, signature: await signedHeader(body) })).status).toBe(200);
    return id;
  }

  /** A real event, stored as the webhook would store it but kept off the queue, for the test to hand to the consumer. */
  async function storedButNotQueued(owner: SignedUp, type: string) {
    const { cursor } = await checkoutAndPay(owner, 4);
    const event = (await eventsFor(await customerOf(owner), cursor)).events.find((e) => e.type === type);
    if (!event) throw new Error(`no ${type} event`);
    await env.DB.prepare('INSERT INTO stripe_events (id, type, payload) VALUES (?, ?, ?)').bind(event.id, event.type, event.payload).run();
    return event;
  }

  it('applies each message on its own: a good one is acked, one Stripe can never answer for is dead at once (no retries)', async () => {
    const owner = await signUpOwner();
    const good = await storedButNotQueued(owner, 'customer.subscription.created');
    const bad = await storeEvent('sub_does_not_exist');

    const batch = createMessageBatch('stripe-events', [
      { id: 'm1', timestamp: new Date(), attempts: 1, body: { eventId: good.id } },
      { id: 'm2', timestamp: new Date(), attempts: 1, body: { eventId: bad } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    await waitOnExecutionContext(ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(['m1', 'm2']);
    expect(result.retryMessages).toEqual([]);
    expect(await billing(owner)).toMatchObject({ plan: 'pro', seats: { limit: 4 } });
    const row = await env.DB.prepare('SELECT processed_at, dead_at, last_error FROM stripe_events WHERE id = ?').bind(bad).first<{ processed_at: number | null; dead_at: number | null; last_error: string }>();
    expect(row?.processed_at).toBeNull();
    expect(row?.dead_at).toEqual(expect.any(Number));
    expect(row?.last_error).toMatch(/No such subscription/);
  });

  it('backs off exponentially: 5 s, 10 s, 20 s … capped at 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelaySeconds)).toEqual([5, 10, 20, 40, 80, 160, 300, 300]);
  });

  it('records dead letters, lists them for operators, and replays one to success', async () => {
    const owner = await signUpOwner();
    const event = await storedButNotQueued(owner, 'customer.subscription.created');
    const batch = createMessageBatch('stripe-events-dlq', [{ id: 'd1', timestamp: new Date(), attempts: 6, body: { eventId: event.id } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['d1']);

    const ops = { authorization: 'Bearer test-ops-token' };
    const dead = await call('GET', '/ops/stripe-events?state=dead', { headers: ops });
    expect(dead.status).toBe(200);
    expect(dead.body.events.map((e: { id: string }) => e.id)).toContain(event.id);
    expect(JSON.stringify(dead.body)).not.toContain('payload');
    expect((await call('GET', '/ops/stripe-events', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);

    const replay = await call('POST', `/ops/stripe-events/${event.id}/replay`, { headers: ops });
    expect(replay.status).toBe(202);
    await eventually(async () => expect((await billing(owner)).plan).toBe('pro'));
    const after = await call('GET', '/ops/stripe-events?state=dead', { headers: ops });
    expect(after.body.events.map((e: { id: string }) => e.id)).not.toContain(event.id);
    expect((await call('POST', `/ops/stripe-events/${event.id}/replay`, { headers: ops })).status).toBe(409);
  });
});

describe('queue outage', () => {
  it('loses no event when the queue send fails: the webhook still answers 200 and the sweeper enqueues it', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 5);
    const created = (await eventsFor(await customerOf(owner), cursor)).events.find((e) => e.type === 'customer.subscription.created');
    if (!created) throw new Error('no created event');

    // Injected fault: the queue refuses every send for this one request.
    const brokenQueue = { send: () => Promise.reject(new Error('queue unavailable')), sendBatch: () => Promise.reject(new Error('queue unavailable')) };
    const app = createApp({ logSink: () => {} });
    const res = await app.request(
      '/webhooks/stripe',
      { method: 'POST', body: created.payload, headers: { 'stripe-signature': created.signature, 'content-type': 'application/json' } },
      { ...env, STRIPE_EVENTS: brokenQueue },
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    const stored = await env.DB.prepare('SELECT processed_at FROM stripe_events WHERE id = ?').bind(created.id).first<{ processed_at: number | null }>();
    expect(stored).toEqual({ processed_at: null });
    expect((await billing(owner)).plan).toBe('free');

    // Two minutes on, the cron's sweeper finds it and the real queue delivers it.
    const report = await runBillingJobs('test-sweeper', Date.now() + 3 * 60 * 1000);
    expect(report.requeued).toBeGreaterThanOrEqual(1);
    await eventually(async () => expect((await billing(owner)).plan).toBe('pro'));
  });
});

/** The billing jobs of one cron tick, in the order the Worker's scheduled handler runs them. */
async function runBillingJobs(requestId: string, now = Date.now()) {
  const ctx = serviceContext(env, requestId);
  return { ...(await sweepStripeEvents.run(ctx, now)), ...(await reconcileSubscriptions.run(ctx, now)) };
}

/** Delivers the tenant's events and waits until every one is processed, so none can repair injected drift before the job does. */
async function deliverAndSettle(owner: SignedUp, cursor: number): Promise<void> {
  await deliver(owner, cursor);
  const customer = await customerOf(owner);
  await eventually(async () => {
    const pending = await env.DB.prepare('SELECT count(*) AS n FROM stripe_events WHERE processed_at IS NULL AND payload LIKE ?')
      .bind(`%${customer}%`)
      .first<{ n: number }>();
    expect(pending?.n).toBe(0);
  });
}

describe('reconciliation', () => {
  it('comes round to every tenant, however many never change or fail', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 5);
    await deliverAndSettle(owner, cursor);
    expect((await billing(owner)).seats.limit).toBe(5);
    // Sixty tenants whose customers Stripe has never heard of, never looked at yet; the payer was looked at long ago.
    const stale = Array.from({ length: 60 }, (_, i) => `ten_stale_${i}_${crypto.randomUUID().slice(0, 8)}`);
    await env.DB.batch(
      stale.flatMap((id) => [
        env.DB.prepare("INSERT INTO tenants (id, slug, name) VALUES (?, ?, 'Stale')").bind(id, id.replaceAll('_', '-')),
        env.DB.prepare("INSERT INTO subscriptions (tenant_id, plan, status, stripe_customer_id) VALUES (?, 'pro', 'canceled', ?)").bind(id, `cus_gone_${id}`),
      ]),
    );
    await env.DB.prepare(`UPDATE subscriptions SET status = 'canceled', reconciled_at = 1 WHERE tenant_id = ?`).bind(owner.tenant.id).run();

    const drifted: string[] = [];
    for (let run = 0; run < 3 && !drifted.includes(owner.tenant.id); run++) {
      drifted.push(...(await runBillingJobs(`test-round-${run}`)).drifted);
    }
    expect(drifted).toContain(owner.tenant.id);
    expect(await billing(owner)).toMatchObject({ plan: 'pro', status: 'active' });
  });

  it('never lets an older read of a subscription overwrite a newer one', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 5);
    await deliver(owner, cursor);
    await eventually(async () => expect((await billing(owner)).seats.limit).toBe(5));
    const row = await env.DB.prepare('SELECT stripe_subscription_id AS id FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first<{ id: string }>();
    // A newer read landed "later" than any read this test can start now.
    await env.DB.prepare(`UPDATE subscriptions SET seat_quantity = 7, stripe_read_at = ? WHERE tenant_id = ?`).bind(Date.now() + 60_000, owner.tenant.id).run();
    const outcome = await syncSubscriptionFromStripe(serviceContext(env, 'test-stale-read'), row?.id ?? '');
    expect(outcome).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/newer read/) });
    const after = await env.DB.prepare('SELECT seat_quantity FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first();
    expect(after).toEqual({ seat_quantity: 7 });
  });

  it('repairs drift between D1 and Stripe, and re-enqueues stored events never processed', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 6);
    await deliverAndSettle(owner, cursor);
    expect((await billing(owner)).seats.limit).toBe(6);

    // A lost webhook: D1 believes the subscription was canceled.
    await env.DB.prepare(`UPDATE subscriptions SET status = 'canceled', seat_quantity = 2, updated_at = 0 WHERE tenant_id = ?`).bind(owner.tenant.id).run();
    expect((await billing(owner)).plan).toBe('free');

    const stale = `evt_stale_${Math.random().toString(36).slice(2)}`;
    await env.DB.prepare(`INSERT INTO stripe_events (id, type, payload, received_at) VALUES (?, 'customer.created', '{}', 0)`).bind(stale).run();

    const report = await runBillingJobs('test-maintenance');
    expect(report.drifted).toContain(owner.tenant.id);
    expect(report.requeued).toBeGreaterThanOrEqual(1);
    expect(await billing(owner)).toMatchObject({ plan: 'pro', status: 'active', seats: { limit: 6 } });
  });
});
