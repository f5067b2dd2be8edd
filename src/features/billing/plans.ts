/**
 * Plans, their limits, and how each Stripe subscription status maps to what
 * a tenant may use. The one place these rules live: the Durable Object, the
 * billing endpoint, the pages and the webhook consumer all read them here.
 */
import type Stripe from 'stripe';
import type { Plan } from '../../platform/db/schema';
import type { subscriptions } from '../../platform/db/schema';

/** `null` means unlimited. */
export interface Limits {
  seats: number | null;
  projects: number | null;
}

export const FREE_LIMITS: Limits = { seats: 3, projects: 3 };

export const PLAN_TABLE = {
  free: { label: 'Free', seats: 'fixed', projects: 3 },
  pro: { label: 'Pro', seats: 'purchased', projects: 100 },
  enterprise: { label: 'Enterprise', seats: 'metadata', projects: null },
} as const satisfies Record<Plan, { label: string; seats: 'fixed' | 'purchased' | 'metadata'; projects: number | null }>;

/** Stripe's documented statuses (its type also admits any string, for ones added later), plus our 'none'. */
type KnownStripeStatus = Stripe.Subscription.Status extends infer S ? (S extends `${infer L}` ? (string extends L ? never : L) : never) : never;
export type SubscriptionStatus = KnownStripeStatus | 'none';

/**
 * What each status grants: the paid plan, the paid plan for a grace period
 * (with a banner), or the free limits. Nothing is ever deleted on a downgrade.
 */
export const STATUS_POLICY = {
  none: 'free',
  incomplete: 'free',
  incomplete_expired: 'free',
  trialing: 'plan',
  active: 'plan',
  past_due: 'grace',
  canceled: 'free',
  unpaid: 'free',
  paused: 'free',
} as const satisfies Record<SubscriptionStatus, 'plan' | 'grace' | 'free'>;

export const PAST_DUE_GRACE_MS = 7 * 24 * 60 * 60 * 1000;

type SubscriptionRow = Pick<
  typeof subscriptions.$inferSelect,
  'plan' | 'status' | 'seatQuantity' | 'seatLimitOverride' | 'pastDueSince'
>;

export interface Entitlement {
  /** The plan whose limits apply now (free when the paid plan lapsed). */
  effectivePlan: Plan;
  limits: Limits;
  /** True while past_due keeps the paid plan: show the banner. */
  pastDue: boolean;
  graceEndsAt: number | null;
}

function isKnownStatus(status: string): status is SubscriptionStatus {
  return Object.hasOwn(STATUS_POLICY, status);
}

function paidLimits(sub: SubscriptionRow): Limits {
  switch (sub.plan) {
    case 'free':
      return FREE_LIMITS;
    case 'pro':
      return { seats: sub.seatQuantity ?? FREE_LIMITS.seats, projects: PLAN_TABLE.pro.projects };
    case 'enterprise':
      return { seats: sub.seatLimitOverride ?? sub.seatQuantity ?? null, projects: PLAN_TABLE.enterprise.projects };
  }
}

/** What a subscription row entitles its tenant to at `now`. */
export function entitlementFor(sub: SubscriptionRow, now: number): Entitlement {
  // An unknown status (Stripe added one) grants nothing paid until we decide otherwise.
  const policy = isKnownStatus(sub.status) ? STATUS_POLICY[sub.status] : 'free';
  if (policy === 'plan') return { effectivePlan: sub.plan, limits: paidLimits(sub), pastDue: false, graceEndsAt: null };
  if (policy === 'grace') {
    const graceEndsAt = (sub.pastDueSince ?? now) + PAST_DUE_GRACE_MS;
    if (now < graceEndsAt) return { effectivePlan: sub.plan, limits: paidLimits(sub), pastDue: true, graceEndsAt };
  }
  return { effectivePlan: 'free', limits: FREE_LIMITS, pastDue: policy === 'grace', graceEndsAt: null };
}
