/**
 * The cron's half of the sync pipeline: a lost or failed webhook heals
 * itself. One job re-enqueues stored events that were never processed; the
 * other re-reads, from Stripe, the subscriptions of every tenant that has a
 * Stripe customer and repairs drift (round-robin, a bounded batch per tick).
 */
import { markReconciled, stripeCustomersToReconcile } from '../../../platform/db/cross-tenant';
import type { ScheduledJob } from '../../../platform/feature';
import { errorMessage } from '../../../platform/log/logger';
import { enqueueEvent, unprocessedEvents } from './events';
import { reconcileCustomer } from './subscription';

/** An event younger than this is probably still on its way through the queue. */
const SWEEP_GRACE_MS = 2 * 60 * 1000;
const SWEEP_BATCH = 100;
const RECONCILE_BATCH = 50;

export const sweepStripeEvents: ScheduledJob<{ requeued: number }> = {
  name: 'stripe-events.sweep',
  async run(ctx, now) {
    let requeued = 0;
    for (const event of await unprocessedEvents(ctx, now - SWEEP_GRACE_MS, SWEEP_BATCH)) {
      await enqueueEvent(ctx, { eventId: event.id, requestId: ctx.requestId });
      requeued++;
    }
    return { requeued };
  },
};

export const reconcileSubscriptions: ScheduledJob<{ reconciled: number; drifted: string[]; failed: string[] }> = {
  name: 'subscriptions.reconcile',
  async run(ctx) {
    const report = { reconciled: 0, drifted: [] as string[], failed: [] as string[] };
    for (const { tenantId, customerId } of await stripeCustomersToReconcile(ctx.env, RECONCILE_BATCH)) {
      if (!customerId) continue;
      try {
        const outcome = await reconcileCustomer(ctx, customerId);
        report.reconciled++;
        if (outcome?.kind === 'applied' && outcome.changed) report.drifted.push(tenantId);
      } catch (err) {
        report.failed.push(tenantId);
        ctx.log.error('reconciliation failed', { tenantId, customerId, error: errorMessage(err) });
      } finally {
        await markReconciled(ctx.env, tenantId, Date.now());
      }
    }
    return report;
  },
};
