import type { Feature, ScheduledJob } from '../../platform/feature';
import { sweepIdempotencyKeys } from '../../platform/http/idempotency';
import { rateLimitTenantApi } from './middleware';

const sweepIdempotency: ScheduledJob<{ forgotten: number }> = {
  name: 'idempotency.sweep',
  run: async (ctx, now) => ({ forgotten: await sweepIdempotencyKeys(ctx, now) }),
};

/** What API clients get besides the routes: rate limits on every /api/t/:tenant route, and 24 hours of idempotent answers. */
export const publicApi: Feature = { name: 'public-api', tenantApiMiddleware: [rateLimitTenantApi()], jobs: [sweepIdempotency] };
