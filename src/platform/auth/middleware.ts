import { eq } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { database } from '../db/client';
import { users } from '../db/schema';
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
  const [user] = await database(c.env.DB)
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(eq(users.id, session.userId))
    .limit(1);
  if (!user) throw new AppError('unauthenticated', 'Session is invalid or expired');
  return { type: 'user', userId: user.id, email: user.email };
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
  return withDoc(
    async function usersOnlyMiddleware(c, next) {
      requireUser(c);
      await next();
    },
    { errors: [401, 403], security: 'user' },
  );
}
