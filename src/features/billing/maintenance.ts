import { asc, eq, isNotNull } from 'drizzle-orm';
import { database } from '../../platform/db/client';
import { subscriptions } from '../../platform/db/schema';
import { deliverOutbox } from '../../platform/email/outbox';
import type { Env } from '../../platform/env';
import { enqueueEvent, unprocessedEvents } from './events';
import { reconcileCustomer } from './sync';

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
 * events that were never processed; re-reads, from Stripe, the subscriptions
 * of every tenant that has a Stripe customer and repairs drift (round-robin,
 * a bounded batch per tick); sends what the email outbox holds.
 */
export async function runMaintenance(env: Env, requestId: string, now = Date.now()): Promise<MaintenanceReport> {
  const report: MaintenanceReport = { requeued: 0, reconciled: 0, drifted: [], failed: [], emailsSent: 0 };

  for (const event of await unprocessedEvents(env, now - SWEEP_GRACE_MS, SWEEP_BATCH)) {
    await enqueueEvent(env, { eventId: event.id, requestId });
    report.requeued++;
  }

  const db = database(env.DB);
  // Every tenant that ever reached Stripe, least recently looked at first (never-looked-at first of all):
  // each tick takes the next batch, so every tenant comes round, whether its last look worked or not.
  const customers = await db
    .select({ tenantId: subscriptions.tenantId, customerId: subscriptions.stripeCustomerId })
    .from(subscriptions)
    .where(isNotNull(subscriptions.stripeCustomerId))
    .orderBy(asc(subscriptions.reconciledAt), asc(subscriptions.tenantId))
    .limit(RECONCILE_BATCH);
  for (const { tenantId, customerId } of customers) {
    if (!customerId) continue;
    try {
      const outcome = await reconcileCustomer(env, customerId, requestId);
      report.reconciled++;
      if (outcome?.kind === 'applied' && outcome.changed) report.drifted.push(tenantId);
    } catch (err) {
      report.failed.push(tenantId);
      console.error(JSON.stringify({ level: 'error', msg: 'reconciliation failed', tenantId, customerId, requestId, error: String(err) }));
    } finally {
      await db.update(subscriptions).set({ reconciledAt: Date.now() }).where(eq(subscriptions.tenantId, tenantId));
    }
  }

  report.emailsSent = await deliverOutbox(env);
  console.log(JSON.stringify({ level: 'info', msg: 'maintenance', requestId, ...report }));
  return report;
}
