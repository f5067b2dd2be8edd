import { desc, eq, lt } from 'drizzle-orm';
import { auditLog } from '../../platform/db/schema';
import type { TenantContext } from '../../platform/context';
import type { AuditLogQuery } from './inputs';

export interface AuditEntryView {
  id: number;
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string } | null;
  metadata: Record<string, unknown> | null;
  requestId: string | null;
  at: number;
}

/** Newest first; `nextCursor` is the id to pass as `cursor` for the next page, or null at the end. */
export async function listAuditLog(ctx: TenantContext, query: AuditLogQuery): Promise<{ entries: AuditEntryView[]; nextCursor: number | null }> {
  const rows = await ctx.db
    .select(auditLog, query.cursor ? lt(auditLog.id, query.cursor) : undefined, query.action ? eq(auditLog.action, query.action) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return {
    entries: page.map((row) => ({
      id: row.id,
      action: row.action,
      actor: { type: row.actorType, id: row.actorId },
      target: row.targetType && row.targetId ? { type: row.targetType, id: row.targetId } : null,
      metadata: row.metadata,
      requestId: row.requestId,
      at: row.at,
    })),
    nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
  };
}
