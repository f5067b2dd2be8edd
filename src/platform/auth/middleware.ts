import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { database } from '../db/client';
import { sessions, users } from '../db/schema';
import type { AppEnv, Env } from '../env';
import { AppError } from '../errors';
import { withDoc } from '../http/route-doc';
import { readSessionCookie } from './cookie';
import type { Principal } from './principal';
import { verifySession } from './session-token';

function bearerToken(c: Context): string | undefined {
  const header = c.req.header('Authorization');
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw new AppError('unauthenticated', 'Malformed Authorization header');
  return match[1];
}

/**
 * Extension point for credentials other than session JWTs (a feature's
 * `credentials`: API keys). Undefined when the token is not its kind; a 401
 * when it is, and is not valid. `waitUntil` is for bookkeeping after the answer.
 */
export type CredentialResolver = (request: { env: Env; waitUntil(work: Promise<unknown>): void }, token: string) => Promise<Principal | null | undefined>;

/**
 * Resolves the caller from a Bearer token or the session cookie. A credential
 * that is present but invalid (tampered, expired, `alg: none`, for a deleted
 * user) is a 401 at once; no credential leaves the caller anonymous, and
 * `requirePrincipal`/`requireUser` decide whether that is allowed.
 */
export function authenticate(resolvers: readonly CredentialResolver[] = []): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    const principal = await identifyCaller(c, resolvers);
    if (principal) c.set('principal', principal);
    await next();
  };
}

/** The caller named by the request's credential: undefined without one, a 401 for a bad one. */
export async function identifyCaller<E extends AppEnv>(c: Context<E>, resolvers: readonly CredentialResolver[] = []): Promise<Principal | undefined> {
  const token = bearerToken(c) ?? readSessionCookie(c);
  return token ? resolvePrincipal(c, token, resolvers) : undefined;
}

async function resolvePrincipal<E extends AppEnv>(c: Context<E>, token: string, resolvers: readonly CredentialResolver[]): Promise<Principal> {
  const request = { env: c.env, waitUntil: (work: Promise<unknown>) => c.executionCtx.waitUntil(work) };
  for (const resolve of resolvers) {
    const principal = await resolve(request, token);
    if (principal) return principal;
  }
  const session = await verifySession(c.env, token);
  if (!session.ok) throw new AppError('unauthenticated', 'Session is invalid or expired');
  const now = Date.now();
  const db = database(c.env.DB);
  // One statement: the session record (revoked? expired?) and its user, the read authentication always did.
  const [row] = await db
    .select({ id: users.id, email: users.email, emailVerifiedAt: users.emailVerifiedAt, mfaSecret: users.mfaSecret, lastSeenAt: sessions.lastSeenAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, session.sessionId), eq(sessions.userId, session.userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .limit(1);
  if (!row) throw new AppError('unauthenticated', 'Session is invalid or expired');
  if (row.lastSeenAt < now - LAST_SEEN_RESOLUTION_MS) {
    // Off the request path, and at most once per resolution: most requests only read.
    c.executionCtx.waitUntil(
      db
        .update(sessions)
        .set({ lastSeenAt: now })
        .where(and(eq(sessions.id, session.sessionId), lt(sessions.lastSeenAt, now - LAST_SEEN_RESOLUTION_MS)))
        .then(() => undefined),
    );
  }
  return { type: 'user', userId: row.id, email: row.email, sessionId: session.sessionId, emailVerified: row.emailVerifiedAt !== null, mfaEnabled: row.mfaSecret !== null };
}

/** How stale a session's "last seen" may be: writes at most this often per session. */
const LAST_SEEN_RESOLUTION_MS = 5 * 60_000;

/** 401 unless someone is signed in. */
export function requirePrincipal<E extends AppEnv>(c: Context<E>): Principal {
  const principal = c.var.principal;
  if (!principal) throw new AppError('unauthenticated', 'Sign in required');
  return principal;
}

/** 401 when nobody is signed in; 403 when the caller is an API key, not a person. */
export function requireUser<E extends AppEnv>(c: Context<E>): Extract<Principal, { type: 'user' }> {
  const principal = requirePrincipal(c);
  if (principal.type !== 'user') throw new AppError('forbidden', 'This endpoint needs a signed-in user, not an API key');
  return principal;
}

/** `requireUser` as route middleware, placed before validation so 401 and 403 come before 400. */
export function usersOnly(): MiddlewareHandler<AppEnv> {
  return withDoc(
    async function usersOnlyMiddleware(c, next) {
      requireUser(c);
      await next();
    },
    { errors: [401, 403], security: 'user' },
  );
}

/**
 * 403 `email_unverified` for a person whose address is not proven yet (API
 * keys pass: their creator's rights were checked when the key was made).
 * Placed before validation, like the permission checks.
 */
export function verifiedEmailOnly<E extends AppEnv>(): MiddlewareHandler<E> {
  return async function verifiedEmailOnlyMiddleware(c, next) {
    const principal = requirePrincipal(c);
    if (principal.type === 'user' && !principal.emailVerified) throw emailUnverified();
    await next();
  };
}

export function emailUnverified(): AppError {
  return new AppError('email_unverified', 'Confirm your email address first: follow the link we emailed you, or ask for a new one');
}
