/**
 * The pages' view of the session: the same HttpOnly cookie and the same
 * verification as the API (platform/auth), but a stale or forged cookie
 * signs the browser out instead of answering 401 JSON.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { clearSessionCookie } from '../auth/cookie';
import { identifyCaller } from '../auth/middleware';
import type { Principal } from '../auth/principal';
import { AppError } from '../errors';
import { requestContext } from '../http/request-context';
import type { LoadViewer, PageEnv, Viewer } from './page-env';

export function pageSession(loadViewer: LoadViewer): MiddlewareHandler<PageEnv> {
  return async function pageSessionMiddleware(c, next) {
    try {
      // Pages take the session cookie only: no API-key resolvers.
      // Under /t/:tenant this also finds the membership (same statement, platform/auth/middleware.ts).
      const caller = await identifyCaller(c);
      if (caller) {
        c.set('principal', caller.principal);
        c.set('membership', caller.membership);
      }
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'unauthenticated')) throw err;
      clearSessionCookie(c);
    }
    let viewer: Promise<Viewer | null> | undefined;
    c.set('viewer', () => {
      const user = currentUser(c);
      viewer ??= user ? loadViewer(requestContext(c), user.userId) : Promise.resolve(null);
      return viewer;
    });
    await next();
  };
}

/** The signed-in person on a page, or undefined. */
export function currentUser<E extends PageEnv>(c: Context<E>): Extract<Principal, { type: 'user' }> | undefined {
  const principal = c.get('principal');
  return principal?.type === 'user' ? principal : undefined;
}

/** Where to send someone who must sign in first, and bring them back afterwards. */
export function signInPath(next: string): string {
  return `/signin?${new URLSearchParams({ next })}`;
}

/** The request's own path and query: where to come back to. */
export function currentPath(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.pathname}${url.search}`;
}

/** A signed-out visit is sent to sign in (303) and comes back afterwards. */
export function requireSignedIn(): MiddlewareHandler<PageEnv> {
  return async function requireSignedInMiddleware(c, next) {
    if (!currentUser(c)) return c.redirect(signInPath(c.req.method === 'GET' ? currentPath(c) : '/'), 303);
    await next();
  };
}

const BASE = 'https://pages.invalid';
const NOT_A_PAGE = /^\/(api|webhooks|ops|signout)(\/|$)/;

/**
 * `next` as a path on this site, or undefined: never another origin
 * (`//evil.example`, `/\evil.example`, `https:…`), never an API or
 * sign-out URL, only a path and query.
 */
export function safeNext(raw: string | undefined | null): string | undefined {
  if (!raw || raw.length > 2000 || !raw.startsWith('/') || raw.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(raw)) return undefined;
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return undefined;
  }
  // Normalising can make a path of `//host` (`/.//evil`, `/%2e//evil`), which a browser reads as another site.
  if (url.origin !== BASE || url.pathname.startsWith('//') || NOT_A_PAGE.test(url.pathname)) return undefined;
  return `${url.pathname}${url.search}`;
}
