/**
 * "What happened to tenant X?" in one answer: the tenant's audit log, its
 * Stripe events (with their processing errors and dead letters), its
 * subscription and seat state, merged newest first. For operators, across
 * tenants, so it reads the global tables directly.
 */
import { desc, eq, like, or } from 'drizzle-orm';
import { database } from '../../platform/db/client';
import { auditLog, deletedTenants, stripeEvents, subscriptions, tenants } from '../../platform/db/schema';
import type { Env } from '../../platform/env';
import { notFound } from '../../platform/http/errors';
import { seatsFor } from '../seats/client';

export interface TimelineEntry {
  at: number;
  source: 'audit' | 'stripe';
  what: string;
  requestId: string | null;
  detail: Record<string, unknown>;
}

export async function tenantTimeline(env: Pick<Env, 'DB' | 'TENANT_DO'>, tenantRef: string, limit: number) {
  const db = database(env.DB);
  const [tenant] = await db.select().from(tenants).where(or(eq(tenants.id, tenantRef), eq(tenants.slug, tenantRef))).limit(1);
  const [deleted] = tenant ? [] : await db.select().from(deletedTenants).where(or(eq(deletedTenants.id, tenantRef), eq(deletedTenants.slug, tenantRef))).limit(1);
  const tenantId = tenant?.id ?? deleted?.id;
  if (!tenantId) throw notFound('Tenant');

  const [subscription] = await db.select().from(subscriptions).where(eq(subscriptions.tenantId, tenantId)).limit(1);
  const audit = await db.select().from(auditLog).where(eq(auditLog.tenantId, tenantId)).orderBy(desc(auditLog.id)).limit(limit);

  // Events name a customer, not a tenant; an operator's occasional scan of the payloads is fine.
  const customerId = subscription?.stripeCustomerId;
  const events = customerId
    ? await db
        .select()
        .from(stripeEvents)
        .where(like(stripeEvents.payload, `%"${customerId}"%`))
        .orderBy(desc(stripeEvents.receivedAt))
        .limit(limit)
    : [];

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
  ]
    .sort((a, b) => b.at - a.at)
    .slice(0, limit);

  let seats: unknown = null;
  if (tenant) {
    try {
      seats = await seatsFor(env, tenant.id).usage();
    } catch (err) {
      seats = { unavailable: String(err) };
    }
  }
  return { tenant: tenant ?? null, deleted: deleted ?? null, subscription: subscription ?? null, seats, entries };
}
