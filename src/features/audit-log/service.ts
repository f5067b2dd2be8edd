import { and, desc, eq, gte, inArray, like, lt } from 'drizzle-orm';
import { auditLog, users } from '../../platform/db/schema';
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

const DAY_MS = 24 * 60 * 60 * 1000;
const ID_CHUNK = 90;

/** The query's filters as conditions: exact action or its group, actor, and days [from, to] in UTC. */
function filters(query: Omit<AuditLogQuery, 'limit'>) {
  return [
    query.cursor ? lt(auditLog.id, query.cursor) : undefined,
    query.action ? eq(auditLog.action, query.action) : undefined,
    query.group ? like(auditLog.action, `${query.group}.%`) : undefined,
    query.actor ? and(eq(auditLog.actorType, 'user'), eq(auditLog.actorId, query.actor)) : undefined,
    query.from ? gte(auditLog.at, Date.parse(`${query.from}T00:00:00Z`)) : undefined,
    query.to ? lt(auditLog.at, Date.parse(`${query.to}T00:00:00Z`) + DAY_MS) : undefined,
  ];
}

/** Newest first; `nextCursor` is the id to pass as `cursor` for the next page, or null at the end. */
export async function listAuditLog(ctx: TenantContext, query: AuditLogQuery): Promise<{ entries: AuditEntryView[]; nextCursor: number | null }> {
  const rows = await ctx.db
    .select(auditLog, ...filters(query))
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

/** The most rows one CSV export holds; narrow the filters for more. */
export const EXPORT_MAX_ROWS = 10_000;
const EXPORT_PAGE = 1_000;

/** Every entry the filters match, newest first, up to EXPORT_MAX_ROWS, read a thousand at a time. */
export async function exportAuditLog(ctx: TenantContext, query: Omit<AuditLogQuery, 'limit' | 'cursor'>): Promise<AuditEntryView[]> {
  const all: AuditEntryView[] = [];
  let cursor: number | undefined;
  do {
    const page = await listAuditLog(ctx, { ...query, cursor, limit: EXPORT_PAGE });
    all.push(...page.entries);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && all.length < EXPORT_MAX_ROWS);
  return all.slice(0, EXPORT_MAX_ROWS);
}

/**
 * The names of the people in these entries (actors and member targets),
 * former members included: the log outlives memberships.
 */
export async function peopleIn(ctx: TenantContext, entries: AuditEntryView[]): Promise<Map<string, { name: string; email: string }>> {
  const ids = new Set<string>();
  for (const e of entries) {
    if (e.actor.type === 'user' && e.actor.id) ids.add(e.actor.id);
    if (e.target?.type === 'user') ids.add(e.target.id);
  }
  // D1 binds at most 100 parameters a statement: a long export asks in chunks, together.
  const list = [...ids];
  const chunks = Array.from({ length: Math.ceil(list.length / ID_CHUNK) }, (_, i) => list.slice(i * ID_CHUNK, (i + 1) * ID_CHUNK));
  const rows = (await Promise.all(chunks.map((chunk) => ctx.global.select(users, inArray(users.id, chunk))))).flat();
  return new Map(rows.map((u) => [u.id, { name: u.name, email: u.email }]));
}
