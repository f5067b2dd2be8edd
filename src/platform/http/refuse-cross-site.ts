import type { MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';
import { readSessionCookie } from '../auth/cookie';
import type { AppEnv } from '../env';

/**
 * Cross-site request forgery needs an ambient credential: the session
 * cookie. A request that carries one (and no Bearer token) must come from our
 * own origin; Bearer and API-key requests cannot be forged by a browser and
 * pass through. Pages add a per-form token on top (see the pages layer).
 */
export function refuseCrossSiteCookieRequests(): MiddlewareHandler<AppEnv> {
  const originCheck = csrf();
  return async function refuseCrossSiteCookieRequestsMiddleware(c, next) {
    if (c.req.header('Authorization') || !readSessionCookie(c)) return next();
    return originCheck(c, next);
  };
}
