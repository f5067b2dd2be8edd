import { eq, gt } from 'drizzle-orm';
import type { TenantContext } from '../../platform/context';
import { invitations, memberships, projects, subscriptions, type Plan } from '../../platform/db/schema';
import { seatsFor } from '../seats/client';
import { entitlementOf } from './entitlement';

export interface BillingSummary {
  /** The plan whose limits apply now (free once a paid plan lapsed). */
  plan: Plan;
  /** The plan the tenant subscribed to, even while it is not in force. */
  subscribedPlan: Plan;
  status: string;
  pastDue: boolean;
  graceEndsAt: number | null;
  currentPeriodEnd: number | null;
  seats: { used: number; limit: number | null };
  limits: { seats: number | null; projects: number | null };
  usage: { seats: number; projects: number };
  /** True where a downgrade left more than the plan allows: nothing is deleted, new ones are refused. */
  overLimit: { seats: boolean; projects: boolean };
  /** Where the seat count came from: the tenant's object, or D1 while the object is unreachable. */
  seatSource: 'object' | 'database';
}

/** Members plus pending, unexpired invitations, counted in D1: the fallback when the object is unreachable. */
async function seatsInDatabase(ctx: TenantContext): Promise<number> {
  const [members, pending] = await Promise.all([
    ctx.db.count(memberships),
    ctx.db.count(invitations, eq(invitations.status, 'pending'), gt(invitations.expiresAt, Date.now())),
  ]);
  return members + pending;
}

/** The plan, its status, and what the tenant uses of it: GET /api/t/:tenant/billing, the billing page and the dashboard. */
export async function getBillingSummary(ctx: TenantContext): Promise<BillingSummary> {
  // The plan and the project count in one round trip, while the object counts seats.
  const [[[subscription], [counted]], seats] = await Promise.all([
    ctx.db.batch([ctx.db.select(subscriptions).limit(1), ctx.db.counting(projects)]),
    seatsFor(ctx.env, ctx.tenant.id)
      .usage()
      .then(({ used }) => ({ used, seatSource: 'object' as const }))
      .catch(async () => ({ used: await seatsInDatabase(ctx), seatSource: 'database' as const })),
  ]);
  const entitlement = entitlementOf(subscription);
  const { used, seatSource } = seats;
  const projectCount = counted?.n ?? 0;
  const { limits } = entitlement;
  return {
    plan: entitlement.effectivePlan,
    subscribedPlan: subscription?.plan ?? 'free',
    status: subscription?.status ?? 'none',
    pastDue: entitlement.pastDue,
    graceEndsAt: entitlement.graceEndsAt,
    currentPeriodEnd: subscription?.currentPeriodEnd ?? null,
    seats: { used, limit: limits.seats },
    limits,
    usage: { seats: used, projects: projectCount },
    overLimit: {
      seats: limits.seats !== null && used > limits.seats,
      projects: limits.projects !== null && projectCount > limits.projects,
    },
    seatSource,
  };
}
