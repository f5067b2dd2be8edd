import type { Context, MiddlewareHandler } from 'hono';
import { userWithMembership } from '../db/cross-tenant';
import type { AppEnv, Env } from '../env';
import { AppError } from '../errors';
import { readSessionCookie } from './cookie';
import type { Caller, Principal } from './principal';
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
 * when it is, and is not valid. With `tenantSlug` (the path names a tenant)
 * it also answers the holder's membership there, in the same statement.
 * `waitUntil` is for bookkeeping after the answer.
 */
export type CredentialResolver = (
  request: { env: Env; waitUntil(work: Promise<unknown>): void },
  token: string,
  tenantSlug: string | undefined,
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
    if (!c.var.principal) {
      const caller = await identifyCaller(c, resolvers);
      if (caller) {
        c.set('principal', caller.principal);
        c.set('membership', caller.membership);
      }
    }
    await next();
  };
}

/** The caller named by the request's credential (with their membership where the path names a tenant): undefined without one, a 401 for a bad one. */
export async function identifyCaller<E extends AppEnv>(c: Context<E>, resolvers: readonly CredentialResolver[] = []): Promise<Caller | undefined> {
  const token = bearerToken(c) ?? readSessionCookie(c);
  return token ? resolveCaller(c, token, c.req.param('tenant'), resolvers) : undefined;
}

async function resolveCaller<E extends AppEnv>(c: Context<E>, token: string, tenantSlug: string | undefined, resolvers: readonly CredentialResolver[]): Promise<Caller> {
  const request = { env: c.env, waitUntil: (work: Promise<unknown>) => c.executionCtx.waitUntil(work) };
  for (const resolve of resolvers) {
    const caller = await resolve(request, token, tenantSlug);
    if (caller) return caller;
  }
  const session = await verifySession(c.env, token);
  if (!session.ok) throw new AppError('unauthenticated', 'Session is invalid or expired');
  const user = await userWithMembership(c.env, session.userId, tenantSlug);
  if (!user) throw new AppError('unauthenticated', 'Session is invalid or expired');
  return { principal: { type: 'user', userId: user.id, email: user.email }, membership: user.membership };
}

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
  return async function usersOnlyMiddleware(c, next) {
    requireUser(c);
    await next();
  };
}
