import type { SQL } from 'drizzle-orm';
import { auditLog } from './db/schema';
import type { TenantContext } from './context';

export interface AuditTarget {
  type: string;
  id: string;
}

export type AuditAction = `${string}.${string}`;

function auditRow(ctx: TenantContext, action: AuditAction, target: AuditTarget | null, metadata?: Record<string, unknown>) {
  return {
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    action,
    targetType: target?.type ?? null,
    targetId: target?.id ?? null,
    // A key's actions name the person it acts for too.
    metadata: ctx.actor.type === 'api_key' ? { ...metadata, onBehalfOf: ctx.actor.onBehalfOf } : (metadata ?? null),
    requestId: ctx.requestId,
  };
}

/**
 * The audit row for a change, as a statement to run in the same D1 batch as
 * the change itself: both are written, or neither. Actions are `entity.verb`.
 */
export function auditEntry(ctx: TenantContext, action: AuditAction, target: AuditTarget | null, metadata?: Record<string, unknown>) {
  return ctx.db.insert(auditLog, auditRow(ctx, action, target, metadata));
}

/** The same, written only if `happened` holds after the guarded change before it in the batch. */
export function auditEntryIf(
  ctx: TenantContext,
  happened: SQL,
  action: AuditAction,
  target: AuditTarget | null,
  metadata?: Record<string, unknown>,
) {
  return ctx.db.insertWhere(auditLog, auditRow(ctx, action, target, metadata), happened);
}
