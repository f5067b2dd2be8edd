/**
 * Plans, their limits, and how each Stripe subscription status maps to what
 * a tenant may use. The one place these rules live: the Durable Object, the
 * billing endpoint, the pages and the webhook consumer all read them here.
 */
import type Stripe from 'stripe';
import type { Plan, subscriptions } from '../../platform/db/schema';
import { AppError } from '../../platform/errors';

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

/** An unknown status (Stripe added one) grants nothing paid until we decide otherwise. */
export function statusPolicy(status: string): 'plan' | 'grace' | 'free' {
  return Object.hasOwn(STATUS_POLICY, status) ? STATUS_POLICY[status as SubscriptionStatus] : 'free';
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
  const policy = statusPolicy(sub.status);
  if (policy === 'plan') return { effectivePlan: sub.plan, limits: paidLimits(sub), pastDue: false, graceEndsAt: null };
  if (policy === 'grace') {
    const graceEndsAt = (sub.pastDueSince ?? now) + PAST_DUE_GRACE_MS;
    if (now < graceEndsAt) return { effectivePlan: sub.plan, limits: paidLimits(sub), pastDue: true, graceEndsAt };
  }
  return { effectivePlan: 'free', limits: FREE_LIMITS, pastDue: policy === 'grace', graceEndsAt: null };
}

const LIMIT_ADVICE = {
  seats: 'Members and pending invitations both take a seat. Revoke an invitation, remove a member, or buy more seats on the billing page.',
  projects: 'Delete a project or upgrade your plan on the billing page.',
} as const;

/**
 * The 402 for a plan limit, naming the limit and how to raise it: `full` when
 * a new one does not fit, `over` when a downgrade left more than the plan
 * allows and the existing ones are read-only.
 */
export function planLimitError(kind: keyof typeof LIMIT_ADVICE, limit: number | null, state: 'full' | 'over' = 'full'): AppError {
  const allows = `Your plan allows ${limit ?? 'unlimited'} ${kind}`;
  const situation = state === 'full' ? '' : ` and this organisation has more, so they are read-only until it is back within the limit`;
  return new AppError('plan_limit', `${allows}${situation}. ${LIMIT_ADVICE[kind]}`, { limit: kind, max: limit });
}
