import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';

/**
 * Headers every answer carries, whichever stack made it (API JSON, webhooks,
 * errors, the pages): set after the handler, only where the route did not set
 * its own (the pages' CSP, the assets' immutable caching).
 *
 * - `X-Content-Type-Options: nosniff` everywhere: a JSON body that echoes
 *   input is never read as HTML or script.
 * - `Cache-Control: no-store` unless the route chose a policy: sign-in and
 *   sign-up bodies hold a session token, /api/me and every tenant answer are
 *   one person's data; no shared or browser cache may keep them.
 * - A CSP and frame refusal on anything that is not a page: JSON is never
 *   framed and runs nothing (pages set their own, stricter-per-form, policy).
 */
export function secureDefaults(): MiddlewareHandler<AppEnv> {
  return async function secureDefaultsMiddleware(c, next) {
    await next();
    const headers = c.res.headers;
    const setIfMissing = (name: string, value: string) => {
      if (!headers.has(name)) headers.set(name, value);
    };
    setIfMissing('X-Content-Type-Options', 'nosniff');
    setIfMissing('Cache-Control', 'no-store');
    setIfMissing('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    setIfMissing('X-Frame-Options', 'DENY');
  };
}
