/**
 * "What happened to tenant X?" in one answer: the tenant's audit log, its
 * Stripe events (with their processing errors and dead letters), its
 * subscription and seat state, merged newest first. For operators, across
 * tenants: the reads are db/cross-tenant.ts's `tenantRecordsForOperator`.
 */
import type { ServiceContext } from '../../platform/context';
import { tenantRecordsForOperator } from '../../platform/db/cross-tenant';
import { notFound } from '../../platform/errors';
import { seatsFor } from '../seats/client';

interface TimelineEntry {
  at: number;
  source: 'audit' | 'stripe' | 'security';
  what: string;
  requestId: string | null;
  detail: Record<string, unknown>;
}

export async function tenantTimeline(ctx: ServiceContext, tenantRef: string, limit: number) {
  const records = await tenantRecordsForOperator(ctx.env, tenantRef, limit);
  if (!records) throw notFound('Tenant');
  const { tenant, deleted, subscription, audit, events, security } = records;

  const entries: TimelineEntry[] = [
    ...audit.map((row) => ({
      at: row.at,
      source: 'audit' as const,
      what: row.action,
      requestId: row.requestId,
      detail: { actor: { type: row.actorType, id: row.actorId }, target: row.targetId ? { type: row.targetType, id: row.targetId } : null, ...row.metadata },
    })),
    ...events.map((row) => ({
      at: row.receivedAt,
      source: 'stripe' as const,
      what: row.type,
      requestId: null,
      detail: {
        eventId: row.id,
        state: row.processedAt ? 'processed' : row.deadAt ? 'dead' : 'pending',
        attempts: row.attempts,
        processedAt: row.processedAt,
        lastError: row.lastError,
      },
    })),
    ...security.map((row) => ({ at: row.at, source: 'security' as const, what: row.event, requestId: row.requestId, detail: { userId: row.userId, ip: row.ip } })),
  ]
    .sort((a, b) => b.at - a.at)
    .slice(0, limit);

  let seats: unknown = null;
  if (tenant) {
    try {
      const usage = await seatsFor(ctx.env, tenant.id).usage();
      // Flagged for the operator: more holders than seats paid for (a Stripe-side reduction); new holders are refused until it is resolved.
      seats = { ...usage, overLimit: usage.limit !== null && usage.used > usage.limit };
    } catch (err) {
      seats = { unavailable: String(err) };
    }
  }
  return { tenant: tenant ?? null, deleted: deleted ?? null, subscription: subscription ?? null, seats, entries };
}
