/**
 * Overlapping syncs of one subscription (the cron running twice at once, the
 * cron and the queue consumer) found by the chaos run's cron-twice
 * experiment: both read the stored row before either wrote, and both audited
 * the same change. Each must write only over the row it read, so a change is
 * audited once, from the state it replaced.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { syncSubscriptionFromStripe } from '../../src/features/billing/sync/subscription';
import { serviceContext } from '../../src/platform/context';
import { signUpOwner } from './helpers';
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
});
