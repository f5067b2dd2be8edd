/**
 * What operators do, each a named service: health, search, a tenant's
 * usage, replaying a dead event, retrying a failed email. Every view of a
 * tenant's data and every replay or retry writes a support-action row in
 * that tenant's audit log naming the operator, so its admins see who looked.
 */
import { auditEntry, type AuditAction } from '../../platform/audit';
import { tenantContext, type ServiceContext } from '../../platform/context';
import { healthFigures, searchTenantsForOperator, tenantById, tenantOfStripeEvent } from '../../platform/db/cross-tenant';
import { deliverOutbox, failedEmails, resetEmailForRetry } from '../../platform/email/outbox';
import { notFound } from '../../platform/errors';
import { usageByDay } from '../../platform/observe/meter';
import { requestStats } from '../../platform/observe/recent';
import { deadEvents, replayEvent } from '../billing/sync/events';
import type { Operator } from './operator';
import { tenantTimeline } from './timeline';

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

/** A support action in the tenant's audit log, with the operator as actor. Deleted tenants have no log to write to. */
export async function recordSupportAction(ctx: ServiceContext, operator: Operator, tenantId: string, action: AuditAction, detail: Record<string, unknown>) {
  const tenant = await tenantById(ctx.env, tenantId);
  if (!tenant) return;
  const support = tenantContext(ctx, tenant, { type: 'operator', id: operator.id }, 'owner');
  await auditEntry(support, action, { type: 'tenant', id: tenant.id }, { operator: operator.id, ...detail });
}

/** GET /ops/health: the backlog figures (one D1 round trip) and this isolate's recent error rate and latency. */
export async function opsHealth(ctx: ServiceContext, now = Date.now()) {
  const figures = await healthFigures(ctx.env);
  const last5 = requestStats(5 * 60_000, now);
  const last60 = requestStats(60 * 60_000, now);
  return {
    deadEvents: figures.deadEvents,
    oldestUnprocessedEventAgeSeconds: figures.oldestUnprocessedEventAt === null ? 0 : seconds(now - figures.oldestUnprocessedEventAt),
    outbox: { pending: figures.outboxPending, failed: figures.outboxFailed },
    reconciliationLagSeconds: figures.oldestReconciledAt === null ? 0 : seconds(now - figures.oldestReconciledAt),
    errorRate5m: last5.errorRate,
    p95Ms5m: last5.p95Ms,
    errorRate60m: last60.errorRate,
    p95Ms60m: last60.p95Ms,
    requests5m: last5.requests,
    requests60m: last60.requests,
  };
}

export type OpsHealth = Awaited<ReturnType<typeof opsHealth>>;

export async function searchTenants(ctx: ServiceContext, q: string) {
  return { tenants: await searchTenantsForOperator(ctx.env, q.trim(), 50) };
}

/** A tenant's usage per day, by id or slug; the view is recorded in its audit log. */
export async function tenantUsageForOperator(ctx: ServiceContext, operator: Operator, tenantRef: string, days: number) {
  const found = (await searchTenantsForOperator(ctx.env, tenantRef, 50)).find((t) => t.id === tenantRef || t.slug === tenantRef);
  if (!found) throw notFound('Tenant');
  await recordSupportAction(ctx, operator, found.id, 'support.viewed', { view: 'usage' });
  return { days: await usageByDay(ctx.env, found.id, days) };
}

/** The timeline with the tenant's usage, the view recorded in its audit log. */
export async function tenantTimelineForOperator(ctx: ServiceContext, operator: Operator, tenantRef: string, limit: number, usageDays = 30) {
  const timeline = await tenantTimeline(ctx, tenantRef, limit);
  const tenantId = timeline.tenant?.id;
  if (tenantId) await recordSupportAction(ctx, operator, tenantId, 'support.viewed', { view: 'timeline' });
  const usage = tenantId ? await usageByDay(ctx.env, tenantId, usageDays) : [];
  return { ...timeline, usage };
}

export async function replayDeadEvent(ctx: ServiceContext, operator: Operator, eventId: string): Promise<void> {
  await replayEvent(ctx, eventId);
  const tenantId = await tenantOfStripeEvent(ctx.env, eventId);
  if (tenantId) await recordSupportAction(ctx, operator, tenantId, 'support.replayed_event', { eventId });
}

/** Gives a failed email fresh attempts and delivers the outbox after the response. */
export async function retryFailedEmail(ctx: ServiceContext, operator: Operator, emailId: string, waitUntil: (work: Promise<unknown>) => void): Promise<void> {
  const tenantId = await resetEmailForRetry(ctx.env, emailId);
  if (!tenantId) throw notFound('Email');
  await recordSupportAction(ctx, operator, tenantId, 'support.retried_email', { emailId });
  waitUntil(deliverOutbox(ctx.env, { log: ctx.log }));
}

export const listDeadEvents = (ctx: ServiceContext, limit = 100) => deadEvents(ctx, limit);
export const listFailedEmails = (ctx: ServiceContext, limit = 100) => failedEmails(ctx.env, limit);
