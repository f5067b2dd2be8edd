/**
 * One Durable Object per caller (`idFromName('user:<id>')`, or an API key's
 * `key:<id>`), counting their /api calls that name no tenant; the tenant's
 * object counts the rest. An object and not the Workers rate limiting
 * binding, for the same reason as the tenant's: the RateLimit header needs
 * the remaining count (docs/decisions/0021-idempotency-and-rate-limits.md).
 */
import type { Env } from '../../platform/env';
import { ObservedDurableObject } from '../../platform/observe/durable-object';
import { CALLER_RATE_LIMIT, type RateDecision } from './policy';
import { countRequest, RATE_BUCKETS_TABLE } from './rate-window';

export class CallerLimiter extends ObservedDurableObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(RATE_BUCKETS_TABLE);
  }

  /** Counts one request in the caller's one-minute window. */
  async take(now: number): Promise<RateDecision> {
    return countRequest(this.ctx.storage.sql, [{ name: 'caller', id: 'caller', quota: CALLER_RATE_LIMIT }], now);
  }
}
