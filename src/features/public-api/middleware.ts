import type { MiddlewareHandler } from 'hono';
import type { TenantEnv } from '../../platform/env';
import { AppError } from '../../platform/errors';
import { withDoc } from '../../platform/http/route-doc';
import { errorMessage } from '../../platform/log/logger';
import { rateLimitHeaders, type RateDecision } from './policy';

/**
 * Counts the request against the tenant's bucket (and its API key's) in the
 * tenant's object: one Durable Object call, no D1. Over the limit: 429
 * `rate_limited` with Retry-After. Every answer carries the RateLimit
 * headers. When the object cannot be reached the request goes through
 * uncounted: the limit protects the service, it must not take it down.
 */
export function rateLimitTenantApi(): MiddlewareHandler<TenantEnv> {
  return withDoc(
    async function rateLimitMiddleware(c, next) {
      const ctx = c.var.tenantCtx;
      const keyId = ctx.actor.type === 'api_key' ? ctx.actor.id : null;
      let decision: RateDecision | undefined;
      try {
        const stub = c.env.TENANT_DO.get(c.env.TENANT_DO.idFromName(ctx.tenant.id));
        decision = await stub.takeRequest(ctx.tenant.id, keyId, Date.now());
      } catch (err) {
        ctx.log.warn('rate limit not counted: tenant object unreachable', { error: errorMessage(err) });
      }
      if (!decision) return next();
      const headers = rateLimitHeaders(decision);
      if (!decision.allowed) {
        const retryAfter = String(Math.max(1, Math.ceil(decision.resetMs / 1000)));
        const exhausted = decision.buckets.filter((b) => b.remaining === 0).map((b) => b.name);
        const error = new AppError('rate_limited', `Rate limit reached for this ${exhausted.includes('key') ? 'API key' : 'organisation'}; retry in ${retryAfter} s`);
        // The error handler builds the response; the headers go on through the context.
        for (const [name, value] of Object.entries({ ...headers, 'Retry-After': retryAfter })) c.header(name, value);
        throw error;
      }
      await next();
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    },
    { errors: [429], responseHeaders: ['RateLimit-Policy', 'RateLimit'] },
  );
}
