import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';

/**
 * Gives every request an id made here, and sends it back as `X-Request-Id`.
 * The id lands in audit rows and Stripe idempotency keys, so a client must
 * not choose it: hono's `requestId()` adopts an incoming `X-Request-Id`, and
 * its only way to ignore the header (`headerName: ''`) also stops it from
 * writing the response header.
 */
export function serverRequestId(): MiddlewareHandler<AppEnv> {
  return async function serverRequestIdMiddleware(c, next) {
    const id = crypto.randomUUID();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  };
}
