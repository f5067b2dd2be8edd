/**
 * Billing under the passing of time and Stripe's failures: these tests move
 * the emulator's clock and inject its faults, so they run in the
 * `stripe-time` project, on an emulator no other test uses.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { call, signUpOwner } from '../workers/helpers';
import { billing, checkoutAndPay, customerOf, deliver, emulator, eventsFor, eventually } from '../workers/stripe-helpers';

describe('dunning', () => {
  it('a failed renewal keeps pro while past_due (with the flag), then unpaid falls to free', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 5);
    let next = await deliver(owner, cursor);
    await eventually(async () => expect((await billing(owner)).plan).toBe('pro'));

    await emulator(`/_emulator/customers/${await customerOf(owner)}/fail-payments`, { fail: true });
    await emulator('/_emulator/clock/advance', { days: 32 });
    next = await deliver(owner, next);
    await eventually(async () => expect(await billing(owner)).toMatchObject({ plan: 'pro', status: 'past_due', pastDue: true, seats: { limit: 5 } }));

    await emulator('/_emulator/clock/advance', { days: 15 });
    await deliver(owner, next);
    await eventually(async () => expect(await billing(owner)).toMatchObject({ plan: 'free', subscribedPlan: 'pro', status: 'unpaid', seats: { limit: 3 } }));
    await emulator(`/_emulator/customers/${await customerOf(owner)}/fail-payments`, { fail: false });
  });
});

describe('transient Stripe failures', () => {
  it('retries an event Stripe fails to answer for, and applies it once Stripe is back', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 4);
    const created = (await eventsFor(await customerOf(owner), cursor)).events.find((e) => e.type === 'customer.subscription.created');
    if (!created) throw new Error('no created event');
    // Stored as the webhook would, but processed here by hand rather than by the real queue.
    await env.DB.prepare('INSERT INTO stripe_events (id, type, payload) VALUES (?, ?, ?)').bind(created.id, created.type, created.payload).run();

    // The next three calls fail with 500: the consumer's and the SDK's own two retries.
    await emulator('/_emulator/faults', { failNext: 3, status: 500 });
    const failing = createMessageBatch('stripe-events', [{ id: 'm1', timestamp: new Date(), attempts: 2, body: { eventId: created.id } }]);
    const ctx = createExecutionContext();
    await worker.queue(failing, env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await getQueueResult(failing, ctx)).retryMessages).toEqual([{ msgId: 'm1' }]);
    const row = await env.DB.prepare('SELECT processed_at, dead_at, attempts, last_error FROM stripe_events WHERE id = ?').bind(created.id).first();
    expect(row).toMatchObject({ processed_at: null, dead_at: null, attempts: 1 });
    expect(String(row?.last_error)).toMatch(/injected by the local Stripe emulator/);
    expect((await billing(owner)).plan).toBe('free');

    // Stripe answers again: the redelivery applies it.
    const retry = createMessageBatch('stripe-events', [{ id: 'm1', timestamp: new Date(), attempts: 3, body: { eventId: created.id } }]);
    const ctx2 = createExecutionContext();
    await worker.queue(retry, env, ctx2);
    await waitOnExecutionContext(ctx2);
    expect((await getQueueResult(retry, ctx2)).explicitAcks).toEqual(['m1']);
    expect(await billing(owner)).toMatchObject({ plan: 'pro', seats: { limit: 4 } });
  });

  it('answers 503 for a checkout while Stripe is down, writes nothing, and works once it is back', async () => {
    const owner = await signUpOwner();
    const checkout = () => call('POST', `/api/t/${owner.tenant.slug}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 3 } });
    await emulator('/_emulator/faults', { failNext: 3, status: 429 });
    const res = await checkout();
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    const row = await env.DB.prepare('SELECT stripe_customer_id FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first();
    expect(row).toEqual({ stripe_customer_id: null });
    await eventually(async () => expect((await checkout()).status).toBe(200));
  });
});
