/**
 * Server-side session records (decision 0017-revocable-sessions). The
 * JWT names its record; authentication reads the record with its user in
 * one statement (platform/auth/middleware.ts), so what is written here takes
 * effect on the next request.
 */
import { and, desc, eq, gt, isNull, ne } from 'drizzle-orm';
import { SESSION_TTL_SECONDS, signSession } from '../../platform/auth/session-token';
import type { ServiceContext } from '../../platform/context';
import { sessions } from '../../platform/db/schema';
import { notFound } from '../../platform/errors';
import type { ClientInfo } from '../../platform/http/client';
import { newId } from '../../platform/ids';

/** A new session's token and the insert that makes it real, to batch with what caused it. */
export async function newSession(ctx: ServiceContext, userId: string, client: ClientInfo) {
  const id = newId('ses');
  const now = Date.now();
  const insert = ctx.global.insert(sessions).values({
    id,
    userId,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + SESSION_TTL_SECONDS * 1000,
    userAgent: client.userAgent,
    country: client.country,
  });
  return { id, token: await signSession(ctx.env, userId, id), insert };
}

/** Revokes a user's live sessions, all of them or all but `except` (the one making the change). */
export function revokeSessions(ctx: ServiceContext, userId: string, except?: string) {
  return ctx.global
    .update(sessions)
    .set({ revokedAt: Date.now() })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), except ? ne(sessions.id, except) : undefined));
}

/** Revokes one of the user's own sessions; another user's id is a 404, like an unknown one. */
export async function revokeSession(ctx: ServiceContext, userId: string, sessionId: string): Promise<void> {
  const revoked = await ctx.global
    .update(sessions)
    .set({ revokedAt: Date.now() })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  if (revoked.length === 0) throw notFound('Session');
}

/** The user's live sessions, newest first, the caller's own marked. */
export async function listSessions(ctx: ServiceContext, userId: string, currentId: string) {
  const rows = await ctx.global
    .select(sessions, eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, Date.now()))
    .orderBy(desc(sessions.createdAt))
    .limit(100);
  return rows.map((s) => ({ id: s.id, current: s.id === currentId, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, userAgent: s.userAgent, country: s.country }));
}
