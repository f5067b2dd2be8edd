/**
 * One Durable Object per caller (`idFromName('user:<id>')`, or an API key's
 * `key:<id>`), counting their /api calls that name no tenant; the tenant's
 * object counts the rest. An object and not the Workers rate limiting
 * binding, for the same reason as the tenant's: the RateLimit header needs
 * the remaining count (docs/decisions/0021-idempotency-and-rate-limits.md).
 */
import type { Env } from '../../platform/env';
import { ObservedDurableObject } from '../../platform/observe/durable-object';
import { CALLER_RATE_LIMIT } from './policy';
import { leaseRequests, RATE_BUCKETS_TABLE, type RateLease } from './rate-window';

export class CallerLimiter extends ObservedDurableObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(RATE_BUCKETS_TABLE);
  }

  /** Leases requests from the caller's one-minute window (rate-window.ts). */
  async lease(now: number): Promise<RateLease> {
    return leaseRequests(this.ctx.storage.sql, [{ name: 'caller', id: 'caller', quota: CALLER_RATE_LIMIT }], now);
  }
}
