/**
 * CSRF protection for the pages, in two independent layers:
 *
 * 1. Origin: `hono/csrf` refuses a form POST whose `Origin` (or, failing
 *    that, `Sec-Fetch-Site`) is not this site.
 * 2. A token in every form, bound to the browser's session: an HMAC, keyed
 *    from JWT_SECRET, of the session cookie, or, before sign-in, of a random
 *    pre-session cookie (so the sign-in and sign-up forms are covered too:
 *    no login CSRF). Nothing is stored server-side; a token is only valid
 *    with the cookie it was made for, and a new sign-in makes a new one.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { readSessionCookie } from '../auth/cookie';
import { randomToken } from '../crypto';
import { AppError } from '../errors';
import { pageKeys, toBase64Url, fromBase64Url } from './keys';
import type { PageEnv } from './page-env';

export const CSRF_FIELD = '_csrf';
const PRE_SESSION_COOKIE = 'pre_session';
const PRE_SESSION_TTL_SECONDS = 12 * 60 * 60;
const SAFE_METHOD = /^(GET|HEAD|OPTIONS)$/;

type CsrfEnv = Parameters<typeof pageKeys>[0];

async function hmac(key: CryptoKey, binding: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`csrf:${binding}`)));
}

/** The token for forms shown to the holder of `binding`. */
async function csrfTokenFor(env: CsrfEnv, binding: string): Promise<string> {
  const [current] = await pageKeys(env, 'csrf');
  if (!current) throw new Error('no CSRF key');
  return toBase64Url(await hmac(current, binding));
}

async function isValidCsrfToken(env: CsrfEnv, binding: string, token: string): Promise<boolean> {
  const given = fromBase64Url(token);
  if (!given || given.byteLength !== 32) return false;
  for (const key of await pageKeys(env, 'csrf')) {
    if (crypto.subtle.timingSafeEqual(await hmac(key, binding), given)) return true;
  }
  return false;
}

/** What the token is bound to: the session cookie when it signed someone in, else the pre-session cookie. */
function bindingOf(c: Context<PageEnv>): string | undefined {
  const session = c.get('principal')?.type === 'user' ? readSessionCookie(c) : undefined;
  if (session) return `session:${session}`;
  const pre = getCookie(c, PRE_SESSION_COOKIE);
  return pre ? `pre:${pre}` : undefined;
}

function refused(): AppError {
  return new AppError('forbidden', 'This form has expired or did not come from this site. Reload the page and try again.');
}

/**
 * Refuses an unsafe request without a valid origin and token, before any
 * handler runs; then sets `csrfToken` for the forms this request renders.
 */
export function csrfProtection(): MiddlewareHandler<PageEnv> {
  const originCheck = csrf();
  return async function csrfProtectionMiddleware(c, next) {
    if (!SAFE_METHOD.test(c.req.method)) {
      await originCheck(c, async () => {});
      const binding = bindingOf(c);
      // parseBody reads url-encoded and multipart forms only (and caches them for the handler): a JSON body has no token.
      const token = (await c.req.parseBody())[CSRF_FIELD];
      if (!binding || typeof token !== 'string' || !(await isValidCsrfToken(c.env, binding, token))) throw refused();
    }
    let binding = bindingOf(c);
    if (!binding) {
      const pre = randomToken();
      setCookie(c, PRE_SESSION_COOKIE, pre, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/', maxAge: PRE_SESSION_TTL_SECONDS });
      binding = `pre:${pre}`;
    }
    c.set('csrfToken', await csrfTokenFor(c.env, binding));
    await next();
  };
}
