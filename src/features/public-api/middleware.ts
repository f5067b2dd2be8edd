import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv, Env, TenantEnv } from '../../platform/env';
import { AppError } from '../../platform/errors';
import { withDoc, type RouteDoc } from '../../platform/http/route-doc';
import { errorMessage, type Logger } from '../../platform/log/logger';
import { takeRequest } from './leases';
import { rateLimitHeaders, type RateDecision } from './policy';

const DOC: RouteDoc = { errors: [429], responseHeaders: ['RateLimit-Policy', 'RateLimit'] };

/**
 * `BENCH_RATE_LIMITS`, for `npm run bench` only (docs/benchmarks/api.md):
 * `unrefused` counts every request in the object as usual (the same cost)
 * but never refuses one; `off` skips the object call, to measure what the
 * limit costs. Honoured in development and tests only; any other
 * environment ignores it, so it can never switch a deployed limit off.
 */
type BenchMode = 'unrefused' | 'off' | undefined;
const BENCH_ENVIRONMENTS = new Set(['development', 'test']);

function benchMode(env: Env): BenchMode {
  const mode = env.BENCH_RATE_LIMITS;
  return BENCH_ENVIRONMENTS.has(env.ENVIRONMENT) && (mode === 'unrefused' || mode === 'off') ? mode : undefined;
}

/**
 * Takes one request from the isolate's lease of the object's count (leases.ts), then answers: 429
 * `rate_limited` with Retry-After when a bucket is spent, else the route,
 * with the RateLimit headers on every answer. When the object cannot be
 * reached the request goes through uncounted: the limit protects the
 * service, it must not take it down.
 */
async function limited<E extends AppEnv>(c: Context<E>, next: () => Promise<void>, log: Logger, what: string, take: () => Promise<RateDecision>): Promise<void> {
  const mode = benchMode(c.env);
  if (mode === 'off') return next();
  let decision: RateDecision | undefined;
  try {
    decision = await take();
  } catch (err) {
    log.warn('rate limit not counted: its object is unreachable', { error: errorMessage(err) });
  }
  if (!decision) return next();
  const headers = rateLimitHeaders(decision);
  if (!decision.allowed && mode !== 'unrefused') {
    const retryAfter = String(Math.max(1, Math.ceil(decision.resetMs / 1000)));
    const exhausted = decision.buckets.filter((b) => b.remaining === 0).map((b) => b.name);
    const error = new AppError('rate_limited', `Rate limit reached for this ${exhausted.includes('key') ? 'API key' : what}; retry in ${retryAfter} s`);
    // The error handler builds the response; the headers go on through the context.
    for (const [name, value] of Object.entries({ ...headers, 'Retry-After': retryAfter })) c.header(name, value);
    throw error;
  }
  await next();
  for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
}

/**
 * Counts the request against the tenant's bucket (and its API key's), leased
 * from the tenant's object: a Durable Object call per lease, no D1.
 */
export function rateLimitTenantApi(): MiddlewareHandler<TenantEnv> {
  return withDoc(async function rateLimitMiddleware(c, next) {
    const ctx = c.get('tenantCtx');
    const keyId = ctx.actor.type === 'api_key' ? ctx.actor.id : null;
    const tenant = ctx.tenant.id;
    await limited(c, next, ctx.log, 'organisation', () =>
      takeRequest(`tenant:${tenant}/key:${keyId ?? ''}`, (now) => c.env.TENANT_DO.get(c.env.TENANT_DO.idFromName(tenant)).leaseRequests(tenant, keyId, now)),
    );
  }, DOC);
}

/**
 * Counts a signed-in caller's request outside any tenant (their account,
 * creating an organisation, accepting an invitation), leased from their own
 * object: a Durable Object call per lease, no D1. Tenant paths are the tenant object's
 * (above); anonymous calls are sign-up and sign-in, which have their own
 * limiters per client address, and the API reference, which costs nothing.
 */
export function rateLimitCallerApi(): MiddlewareHandler<AppEnv> {
  return withDoc(async function callerRateLimitMiddleware(c, next) {
    const principal = c.get('principal');
    if (!principal || c.req.path.startsWith('/api/t/')) return next();
    const name = principal.type === 'user' ? `user:${principal.userId}` : `key:${principal.apiKeyId}`;
    await limited(c, next, c.get('log'), 'account', () => takeRequest(name, (now) => c.env.CALLER_LIMITER.get(c.env.CALLER_LIMITER.idFromName(name)).lease(now)));
  }, DOC);
}
