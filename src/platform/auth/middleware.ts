import { and, eq, lt } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { database } from '../db/client';
import { sessionUserWithTenants, userWithMembership } from '../db/cross-tenant';
import { sessions } from '../db/schema';
import type { AppEnv, Env } from '../env';
import { AppError } from '../errors';
import { withDoc } from '../http/route-doc';
import { readSessionCookie } from './cookie';
import type { Caller, Principal } from './principal';
import { verifySession } from './session-token';
import { declaredCompanion, type CompanionFor, type DeclaredRead } from './with-resolution';

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
 * when it is, and is not valid. With `tenantSlug` (the path names a tenant)
 * it also answers the holder's membership there, in the same statement; with
 * `companionFor`, the route's read goes in the same batch (its rows in
 * `Caller.companion`, platform/auth/with-resolution.ts). `waitUntil` is for
 * bookkeeping after the answer.
 */
export type CredentialResolver = (
  request: { env: Env; waitUntil(work: Promise<unknown>): void },
  token: string,
  tenantSlug: string | undefined,
  companionFor: CompanionFor | undefined,
) => Promise<Caller | null | undefined>;

/**
 * Resolves the caller from a Bearer token or the session cookie and, on a
 * path that names a tenant (`:tenant`), their membership in it, in one D1
 * round trip. A credential that is present but invalid (tampered, expired,
 * `alg: none`, for a deleted user) is a 401 at once; no credential leaves
 * the caller anonymous, and `requirePrincipal`/`requireUser` decide whether
 * that is allowed. Mounted on tenant paths first, then on all of /api, where
 * a caller already identified is not looked up again.
 */
export function authenticate(resolvers: readonly CredentialResolver[] = []): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    if (!c.get('principal')) {
      const declared = declaredCompanion(c);
      const caller = await identifyCaller(c, resolvers, declared);
      if (caller) {
        c.set('principal', caller.principal);
        c.set('membership', caller.membership);
        if (declared && 'companion' in caller) c.set('batchedAnswer', { read: declared.read, rows: caller.companion });
      }
    }
    await next();
  };
}

/** The caller named by the request's credential (with their membership where the path names a tenant): undefined without one, a 401 for a bad one. */
export async function identifyCaller<E extends AppEnv>(c: Context<E>, resolvers: readonly CredentialResolver[] = [], declared?: DeclaredRead): Promise<Caller | undefined> {
  const token = bearerToken(c) ?? readSessionCookie(c);
  return token ? resolveCaller(c, token, c.req.param('tenant'), resolvers, declared) : undefined;
}

async function resolveCaller<E extends AppEnv>(
  c: Context<E>,
  token: string,
  tenantSlug: string | undefined,
  resolvers: readonly CredentialResolver[],
  declared: DeclaredRead | undefined,
): Promise<Caller> {
  const request = { env: c.env, waitUntil: (work: Promise<unknown>) => c.executionCtx.waitUntil(work) };
  for (const resolve of resolvers) {
    const caller = await resolve(request, token, tenantSlug, declared?.companionFor);
    if (caller) return caller;
  }
  const session = await verifySession(c.env, token);
  if (!session.ok) throw new AppError('unauthenticated', 'Session is invalid or expired');
  const now = Date.now();
  // One statement: the session record (revoked? expired?), its user and, on a tenant path, their membership;
  // batched with the route's read when it declared one, or reading it too when it is the caller's tenants.
  const live = { sessionId: session.sessionId, userId: session.userId, now };
  const { row, companion } =
    tenantSlug === undefined && declared?.callerWithTenants ? await sessionUserWithTenants(c.env, live) : await userWithMembership(c.env, live, tenantSlug, declared?.companionFor(session.userId));
  if (!row) throw new AppError('unauthenticated', 'Session is invalid or expired');
  if (row.lastSeenAt < now - LAST_SEEN_RESOLUTION_MS) {
    // Off the request path, and at most once per resolution: most requests only read.
    c.executionCtx.waitUntil(
      database(c.env.DB)
        .update(sessions)
        .set({ lastSeenAt: now })
        .where(and(eq(sessions.id, session.sessionId), lt(sessions.lastSeenAt, now - LAST_SEEN_RESOLUTION_MS)))
        .then(() => undefined),
    );
  }
  const principal: Principal = { type: 'user', userId: row.id, email: row.email, sessionId: session.sessionId, emailVerified: row.emailVerifiedAt !== null, mfaEnabled: row.mfaSecret !== null };
  return { principal, membership: row.membership, ...companion };
}

/** How stale a session's "last seen" may be: writes at most this often per session. */
const LAST_SEEN_RESOLUTION_MS = 5 * 60_000;

/** 401 unless someone is signed in. */
export function requirePrincipal<E extends AppEnv>(c: Context<E>): Principal {
  const principal = c.get('principal');
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
