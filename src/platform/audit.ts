import { auditLog } from './db/schema';
import type { TenantContext } from './tenancy/context';

export interface AuditTarget {
  type: string;
  id: string;
}

/**
 * The audit row for a change, as a statement to run in the same D1 batch as
 * the change itself: both are written, or neither. Actions are `entity.verb`.
 */
export function auditEntry(
  ctx: TenantContext,
  action: `${string}.${string}`,
  target: AuditTarget | null,
  metadata?: Record<string, unknown>,
) {
  return ctx.db.insert(auditLog, {
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    action,
    targetType: target?.type ?? null,
    targetId: target?.id ?? null,
    metadata: metadata ?? null,
    requestId: ctx.requestId,
  });
}
