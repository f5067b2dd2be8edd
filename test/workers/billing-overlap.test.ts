/**
 * Syncs of one subscription that overlap with another write, found by the
 * chaos run. Two syncs at once (cron-twice) both read the stored row before
 * either wrote, and both audited the same change. A sync whose Stripe read
 * began before a seat reduction wrote the old quantity back over it, and the
 * tenant filled seats it no longer paid for (the seats invariant, under load).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { syncSubscriptionFromStripe } from '../../src/features/billing/sync/subscription';
import { serviceContext } from '../../src/platform/context';
import { call, signUpOwner, uniqueEmail } from './helpers';
import { billing, checkoutAndPay, deliver, eventually, testStripe } from './stripe-helpers';

/** A D1 whose first `parties` batches wait for each other: every caller has read before anyone writes. */
function batchesMeet(db: D1Database, parties: number): D1Database {
  const waiting: (() => void)[] = [];
  let open = false;
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          if (!open) {
            await new Promise<void>((resolve) => {
              waiting.push(resolve);
              if (waiting.length === parties) {
                open = true;
                for (const release of waiting) release();
              }
            });
          }
          return target.batch(statements);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A D1 whose first batch waits until `release` is called; `held` resolves when it starts waiting. */
function firstBatchHeld(db: D1Database) {
  let release!: () => void;
  let reportHeld!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held = new Promise<void>((resolve) => (reportHeld = resolve));
  let first = true;
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          if (first) {
            first = false;
            reportHeld();
            await released;
          }
          return target.batch(statements);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: wrapped, held, release };
}

async function subscriptionAudit(tenantId: string) {
  const { results } = await env.DB.prepare("SELECT metadata FROM audit_log WHERE tenant_id = ? AND action = 'subscription.updated' ORDER BY id")
    .bind(tenantId)
    .all<{ metadata: string }>();
  return results.map((row) => JSON.parse(row.metadata) as { from: { seats: number | null }; to: { seats: number | null } });
}

describe('overlapping syncs of one subscription', () => {
  it('audit a change once, from the state it replaced, and end in Stripe’s state', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 5);
    await deliver(owner, cursor);
    await eventually(async () => expect((await billing(owner)).seats.limit).toBe(5));
    const row = await env.DB.prepare('SELECT stripe_subscription_id AS id FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first<{ id: string }>();
    const subscriptionId = row?.id ?? '';
    const before = await subscriptionAudit(owner.tenant.id);

    // Drift: seats changed in the portal, webhook not (yet) here. Then two syncs at once.
    const subscription = await testStripe.subscriptions.retrieve(subscriptionId);
    await testStripe.subscriptions.update(subscriptionId, { items: [{ id: subscription.items.data[0]?.id, quantity: 8 }] });
    const overlapping = { ...env, DB: batchesMeet(env.DB, 2) };
    await Promise.all([syncSubscriptionFromStripe(serviceContext(overlapping, 'sync-a'), subscriptionId), syncSubscriptionFromStripe(serviceContext(overlapping, 'sync-b'), subscriptionId)]);

    const added = (await subscriptionAudit(owner.tenant.id)).slice(before.length);
    expect(added).toEqual([expect.objectContaining({ from: expect.objectContaining({ seats: 5 }), to: expect.objectContaining({ seats: 8 }) })]);
    expect((await billing(owner)).seats.limit).toBe(8);
  });

  it('never write a quantity read before a seat reduction back over it', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const { cursor } = await checkoutAndPay(owner, 10);
    await deliver(owner, cursor);
    await eventually(async () => expect((await billing(owner)).seats.limit).toBe(10));
    // The checkout's webhooks all applied, so no other sync lands in between.
    await eventually(async () => expect(await env.DB.prepare('SELECT count(*) AS n FROM stripe_events WHERE processed_at IS NULL').first('n')).toBe(0));
    const row = await env.DB.prepare('SELECT stripe_subscription_id AS id FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first<{ id: string }>();

    // A sync (a webhook's, the cron's) reads Stripe's 10 seats, then waits before writing...
    const gate = firstBatchHeld(env.DB);
    const sync = syncSubscriptionFromStripe(serviceContext({ ...env, DB: gate.db }, 'sync-before-reduction'), row?.id ?? '');
    await gate.held;
    // ...while the owner drops to 3 seats, which applies at once.
    const change = await call('POST', `${base}/billing/seats`, { token: owner.token, body: { quantity: 3 } });
    expect(change.body).toMatchObject({ appliesNow: true });
    gate.release();
    await sync;

    expect((await billing(owner)).seats).toMatchObject({ used: 1, limit: 3 });
    const invites = await Promise.all(
      Array.from({ length: 4 }, () => call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('unpaid'), role: 'member' } })),
    );
    expect(invites.map((r) => r.status).sort()).toEqual([201, 201, 402, 402]);
  });
});
