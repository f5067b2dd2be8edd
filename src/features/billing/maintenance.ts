import { asc, isNotNull } from 'drizzle-orm';
import { database } from '../../platform/db/client';
import { subscriptions } from '../../platform/db/schema';
import { deliverOutbox } from '../../platform/email/outbox';
import type { Env } from '../../platform/env';
import { enqueueEvent, unprocessedEvents } from './events';
import { syncSubscriptionFromStripe } from './sync';

/** An event younger than this is probably still on its way through the queue. */
const SWEEP_GRACE_MS = 2 * 60 * 1000;
const SWEEP_BATCH = 100;
const RECONCILE_BATCH = 50;

export interface MaintenanceReport {
  requeued: number;
  reconciled: number;
  drifted: string[];
  failed: string[];
  emailsSent: number;
}

/**
 * The cron job: a lost or failed webhook heals itself. Re-enqueues stored
 * events that were never processed; re-reads every paying tenant's
 * subscription from Stripe and repairs drift (least recently updated first,
 * a bounded batch per tick); sends what the email outbox holds.
 */
export async function runMaintenance(env: Env, requestId: string, now = Date.now()): Promise<MaintenanceReport> {
  const report: MaintenanceReport = { requeued: 0, reconciled: 0, drifted: [], failed: [], emailsSent: 0 };

  for (const event of await unprocessedEvents(env, now - SWEEP_GRACE_MS, SWEEP_BATCH)) {
    await enqueueEvent(env, { eventId: event.id, requestId });
    report.requeued++;
  }

  const paying = await database(env.DB)
    .select({ tenantId: subscriptions.tenantId, subscriptionId: subscriptions.stripeSubscriptionId })
    .from(subscriptions)
    .where(isNotNull(subscriptions.stripeSubscriptionId))
    .orderBy(asc(subscriptions.updatedAt))
    .limit(RECONCILE_BATCH);
  for (const { tenantId, subscriptionId } of paying) {
    if (!subscriptionId) continue;
    try {
      const outcome = await syncSubscriptionFromStripe(env, subscriptionId, requestId);
      report.reconciled++;
      if (outcome.kind === 'applied' && outcome.changed) report.drifted.push(tenantId);
    } catch (err) {
      report.failed.push(tenantId);
      console.error(JSON.stringify({ level: 'error', msg: 'reconciliation failed', tenantId, subscriptionId, requestId, error: String(err) }));
    }
  }

  report.emailsSent = await deliverOutbox(env);
  console.log(JSON.stringify({ level: 'info', msg: 'maintenance', requestId, ...report }));
  return report;
}
