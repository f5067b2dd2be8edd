/**
 * Rate limits for API clients, as data and pure functions: per API key and
 * per tenant, sized by plan, counted by the tenant's Durable Object in fixed
 * one-minute windows (docs/decisions/0021-idempotency-and-rate-limits.md).
 * Headers follow the IETF draft draft-ietf-httpapi-ratelimit-headers:
 * `RateLimit-Policy: "tenant";q=120;w=60` and `RateLimit: "tenant";r=119;t=42`.
 */
import type { PLAN_TABLE } from '../billing/plans';
import { FREE_LIMITS } from '../billing/plans';

export const RATE_WINDOW_MS = 60_000;

export interface RateTier {
  /** Requests a minute for one API key. */
  key: number;
  /** Requests a minute for the whole tenant, sessions and keys together. */
  tenant: number;
}

export const RATE_TIERS = {
  free: { key: 60, tenant: 120 },
  pro: { key: 600, tenant: 1200 },
  enterprise: { key: 3000, tenant: 6000 },
} as const satisfies Record<keyof typeof PLAN_TABLE, RateTier>;

/**
 * The tier for the entitlement the tenant's object already holds (billing
 * pushes the plan's limits there on every change): its project limit names
 * the plan (unlimited: enterprise; pro's: pro; otherwise free, including a
 * lapsed plan), so counting needs no read of D1.
 */
export function rateTierFor(projectsLimit: number | null): RateTier {
  if (projectsLimit === null) return RATE_TIERS.enterprise;
  if (projectsLimit > (FREE_LIMITS.projects ?? 0)) return RATE_TIERS.pro;
  return RATE_TIERS.free;
}

/**
 * Requests a minute for one person's calls outside any tenant (their
 * account, creating an organisation, accepting an invitation), counted by
 * their own object (caller-limiter.ts): far above what a person does by
 * hand, far below a script in a loop.
 */
export const CALLER_RATE_LIMIT = 300;

export interface BucketState {
  name: 'tenant' | 'key' | 'caller';
  quota: number;
  remaining: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Milliseconds until the window resets. */
  resetMs: number;
  buckets: BucketState[];
}

export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  const window = RATE_WINDOW_MS / 1000;
  const reset = Math.ceil(decision.resetMs / 1000);
  return {
    'RateLimit-Policy': decision.buckets.map((b) => `"${b.name}";q=${b.quota};w=${window}`).join(', '),
    RateLimit: decision.buckets.map((b) => `"${b.name}";r=${b.remaining};t=${reset}`).join(', '),
  };
}
