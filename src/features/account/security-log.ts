/** The per-user security log: what happened to an account, for its user (account page, API) and operators (ops timeline). */
import { desc, eq, lt } from 'drizzle-orm';
import type { ServiceContext } from '../../platform/context';
import { securityLog } from '../../platform/db/schema';
import type { ClientInfo } from '../../platform/http/client';

export type SecurityEvent =
  | 'signup'
  | 'signin.succeeded'
  | 'signin.failed'
  | 'signin.mfa_failed'
  | 'signout'
  | 'session.revoked'
  | 'sessions.revoked_others'
  | 'password.changed'
  | 'password.reset_requested'
  | 'password.reset'
  | 'email.verified'
  | 'email.change_requested'
  | 'email.changed'
  | 'mfa.enabled'
  | 'mfa.disabled'
  | 'mfa.recovery_code_used';

/** The log row for an event, to batch with the change it records. */
export function securityEvent(ctx: ServiceContext, userId: string, event: SecurityEvent, client: ClientInfo | null, metadata?: Record<string, unknown>) {
  return ctx.global.insert(securityLog).values({
    userId,
    event,
    ip: client?.ip ?? null,
    userAgent: client?.userAgent ?? null,
    metadata: metadata ?? null,
    requestId: ctx.requestId,
  });
}

export async function listSecurityLog(ctx: ServiceContext, userId: string, { cursor, limit }: { cursor?: number; limit: number }) {
  const rows = await ctx.global
    .select(securityLog, eq(securityLog.userId, userId), cursor ? lt(securityLog.id, cursor) : undefined)
    .orderBy(desc(securityLog.id))
    .limit(limit + 1);
  const entries = rows.slice(0, limit).map((r) => ({ id: r.id, event: r.event, at: r.at, ip: r.ip, userAgent: r.userAgent, metadata: r.metadata, requestId: r.requestId }));
  return { entries, nextCursor: rows.length > limit ? (entries.at(-1)?.id ?? null) : null };
}

