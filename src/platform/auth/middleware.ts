import { eq } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { database } from '../db/client';
import { users } from '../db/schema';
import type { AppEnv } from '../env';
import { AppError } from '../http/errors';
import { readSessionCookie } from './cookie';
import type { Principal } from './principal';
import { verifySession } from './session';

function bearerToken(c: Context): string | undefined {
  const header = c.req.header('Authorization');
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw new AppError('unauthenticated', 'Malformed Authorization header');
  return match[1];
}

/** Extension point for credentials other than session JWTs (API keys). */
export type CredentialResolver = (c: Context<AppEnv>, token: string) => Promise<Principal | null | undefined>;

/**
 * Resolves the caller from a Bearer token or the session cookie. A credential
 * that is present but invalid (tampered, expired, `alg: none`, for a deleted
 * user) is a 401 at once; no credential leaves the caller anonymous, and
 * `requireUser` decides whether that is allowed.
 */
export function authenticate(resolvers: CredentialResolver[] = []): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    const token = bearerToken(c) ?? readSessionCookie(c);
    if (token) c.set('principal', await resolvePrincipal(c, token, resolvers));
    await next();
  };
}

async function resolvePrincipal(c: Context<AppEnv>, token: string, resolvers: CredentialResolver[]): Promise<Principal> {
  for (const resolve of resolvers) {
    const principal = await resolve(c, token);
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
export function requirePrincipal(c: Context<AppEnv>): Principal {
  const principal = c.get('principal');
  if (!principal) throw new AppError('unauthenticated', 'Sign in required');
  return principal;
}

/** Route-level form of `requireUser`, placed before validation so 401 comes before 400. */
export function signedInUser(): MiddlewareHandler<AppEnv> {
  return async function signedInUserMiddleware(c, next) {
    requireUser(c);
    await next();
  };
}

/** 401 unless a person (not an API key) is signed in. */
export function requireUser(c: Context<AppEnv>): Extract<Principal, { type: 'user' }> {
  const principal = requirePrincipal(c);
  if (principal.type !== 'user') throw new AppError('forbidden', 'This endpoint needs a signed-in user, not an API key');
  return principal;
}
