import type { Feature, ScheduledJob } from '../../platform/feature';
import { sweepIdempotencyKeys } from '../../platform/http/idempotency';
import { rateLimitCallerApi, rateLimitTenantApi } from './middleware';

const sweepIdempotency: ScheduledJob<{ forgotten: number }> = {
  name: 'idempotency.sweep',
  run: async (ctx, now) => ({ forgotten: await sweepIdempotencyKeys(ctx, now) }),
};

/** What API clients get besides the routes: rate limits on every signed-in /api call (per tenant and key, or per caller outside tenants), and 24 hours of idempotent answers. */
export const publicApi: Feature = { name: 'public-api', apiMiddleware: [rateLimitCallerApi()], tenantApiMiddleware: [rateLimitTenantApi()], jobs: [sweepIdempotency] };
