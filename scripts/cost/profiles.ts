/**
 * How typical tenants use the app, and the other assumptions the cost model
 * rests on. Every figure here is an assumption, stated with its reason; the
 * measured side (what one operation costs) is in docs/economics/measurements.json.
 */
import { PLAN_PRICES as APP_PLAN_PRICES } from '../../src/features/billing/plan-prices.ts';
import type { OperationKind } from './measurements.ts';

type Plan = 'free' | 'pro' | 'enterprise';
export type OperationRates = Partial<Record<OperationKind, number>>;

export interface TenantProfile {
  id: string;
  label: string;
  plan: Plan;
  seats: number;
  /** Share of seats that use the app on a working day. */
  activeSeatShare: number;
  /** What an active seat does on a working day: the people. */
  perActiveSeatPerWorkingDay: OperationRates;
  /** Machine traffic, every day of the week: integrations holding an API key. */
  perTenantPerDay: OperationRates;
  /** Membership churn, per seat per month. */
  perSeatPerMonth: OperationRates;
  /** Billing changes, per tenant per month (paid plans). */
  perTenantPerMonth: OperationRates;
  justification: string;
}

/** A month of 30 days, 5 working days in 7. */
export const CALENDAR = { daysPerMonth: 30, workingDaysPerMonth: (30 * 5) / 7, secondsPerMonth: 30 * 86_400 } as const;

/**
 * Schedules the app runs on its own, whatever its tenants do. Copied here
 * because the model runs in Node and cannot import the Worker's modules.
 */
export const APP_SCHEDULES = {
  /** TenantDO's alarm while the tenant holds seats (every tenant: the owner holds one): RECONCILE_INTERVAL_MS in src/features/seats/tenant-do.ts. */
  alarmIntervalMinutes: 10,
  /** The sweeper's cron, `*\/5 * * * *` in wrangler.toml. */
  cronIntervalMinutes: 5,
  /** Tenants with a Stripe customer reconciled per cron run: RECONCILE_BATCH in src/features/billing/maintenance.ts. */
  reconcileBatch: 50,
} as const;

/**
 * The prices the app sells, from its own table (src/features/billing/plan-prices.ts,
 * the prices STRIPE_PRICE_PRO / STRIPE_PRICE_ENTERPRISE name):
 * `price_pro_monthly` per seat per month, `price_enterprise_monthly` per
 * month. test/node/cost-model.test.ts checks them against the emulator.
 */
export const PLAN_PRICES = {
  proPerSeatMonthly: APP_PLAN_PRICES.pro.monthlyMinor / 100,
  /**
   * Enterprise is "arranged with sales": the app's only enterprise figure is
   * this price, one subscription at quantity 1, whatever the seat count in
   * its metadata. Taken as the contract value; the sensitivity table shows
   * what a per-seat contract would change.
   */
  enterpriseMonthly: APP_PLAN_PRICES.enterprise.monthlyMinor / 100,
} as const;

export interface Assumptions {
  /** Storage is priced at this age: what a tenant has accumulated by then. */
  tenantAgeMonths: number;
  /** Signup and checkout happen once; their cost is spread over this many months. */
  customerLifetimeMonths: number;
  /** Busiest minute over the month's flat average, for traffic that follows working hours. */
  peakFactor: number;
  /** Added to each object request's local busy time: production awaits D1 and the network, local runs do not. */
  productionMsPerDoRequest: number;
  /** Memory an object is billed for, in GB (128 MB). */
  doMemoryGb: number;
  /** Operators reading usage from Analytics Engine, fleet-wide. */
  analyticsReadQueriesPerMonth: number;
  /** Production seconds per D1 query on average: Cloudflare's own example figure. */
  productionMsPerD1Query: number;
  /** Share of tenants on each profile, for fleet-wide figures. */
  fleetMix: Record<string, number>;
}

/**
 * Working-day traffic falls in about 10 busy hours of 5 days, so its busy-hour
 * rate is (30 × 24) / (21.4 × 10) = 3.4 times the month's flat average; the
 * busiest minutes of those hours are taken as twice the hour's mean.
 */
const BUSY_HOUR_CONCENTRATION = (CALENDAR.daysPerMonth * 24) / (CALENDAR.workingDaysPerMonth * 10);

export const ASSUMPTIONS: Assumptions = {
  tenantAgeMonths: 12,
  customerLifetimeMonths: 24,
  peakFactor: BUSY_HOUR_CONCENTRATION * 2,
  productionMsPerDoRequest: 10,
  doMemoryGb: 0.128,
  analyticsReadQueriesPerMonth: 3_000,
  productionMsPerD1Query: 1,
  fleetMix: { 'free-3': 0.85, 'pro-10': 0.12, 'pro-50': 0.025, 'enterprise-500': 0.005 },
};

/**
 * One person's working day in a project admin tool whose pages are
 * server-rendered (every navigation is one request, no client-side fetches):
 * one sign-in (sessions last 12 hours), about 15 page views across the
 * dashboard and the projects, a few JSON API reads from scripts or the CLI,
 * and an edit to a project.
 */
const WORKING_DAY: OperationRates = {
  'auth.login': 1,
  'page.dashboard': 4,
  'page.projects': 8,
  'page.members': 1,
  'page.billing': 0.2,
  'page.audit-log': 0.5,
  'api.me': 2,
  'api.projects.list': 4,
  'api.members.list': 0.5,
  'api.billing.get': 0.2,
  'api.audit-log.list': 0.3,
  'api.projects.update': 1,
  // Projects come and go slowly: pro's limit is 100, and a tenant should not reach it in a year.
  'api.projects.create': 0.05,
  'api.projects.delete': 0.04,
};

/** A team that changes a tenth of its seats a month: invited, most accepted, some revoked, some leave. */
const MEMBERSHIP_CHURN: OperationRates = {
  'api.invitations.create': 0.1,
  'auth.signup-invitee': 0.08,
  'api.invitations.accept': 0.08,
  'api.invitations.revoke': 0.02,
  'api.members.role': 0.03,
  'api.members.remove': 0.05,
};

/** One integration polling the projects with an API key every 5 minutes: 288 requests a day. */
const POLLS_PER_INTEGRATION_PER_DAY = 288;

function paidBilling(seatChangesPerMonth: number): OperationRates {
  return { 'billing.seats': seatChangesPerMonth, 'api.api-keys.create': 0.1 };
}

export const PROFILES: TenantProfile[] = [
  {
    id: 'free-3',
    label: 'Free, team of 3',
    plan: 'free',
    seats: 3,
    activeSeatShare: 0.5,
    // Free allows 3 projects: they are replaced, not accumulated.
    perActiveSeatPerWorkingDay: { ...WORKING_DAY, 'page.projects': 5, 'api.projects.list': 1, 'api.me': 1, 'api.projects.create': 0.02, 'api.projects.delete': 0.02 },
    perTenantPerDay: {},
    perSeatPerMonth: MEMBERSHIP_CHURN,
    perTenantPerMonth: {},
    justification:
      'A trial or side team: half its seats show up on a working day, fewer API reads, no integration, no billing. ' +
      'Within the free limits (3 seats, 3 projects).',
  },
  {
    id: 'pro-10',
    label: 'Pro, team of 10',
    plan: 'pro',
    seats: 10,
    activeSeatShare: 0.8,
    perActiveSeatPerWorkingDay: WORKING_DAY,
    perTenantPerDay: { 'api.projects.list-api-key': POLLS_PER_INTEGRATION_PER_DAY },
    perSeatPerMonth: MEMBERSHIP_CHURN,
    perTenantPerMonth: paidBilling(0.5),
    justification:
      'A paying team that works in the app daily (8 in 10 seats on a working day), one integration polling every 5 minutes, ' +
      'a seat change every other month.',
  },
  {
    id: 'pro-50',
    label: 'Pro, team of 50',
    plan: 'pro',
    seats: 50,
    activeSeatShare: 0.8,
    perActiveSeatPerWorkingDay: WORKING_DAY,
    perTenantPerDay: { 'api.projects.list-api-key': 2 * POLLS_PER_INTEGRATION_PER_DAY },
    perSeatPerMonth: MEMBERSHIP_CHURN,
    perTenantPerMonth: paidBilling(1),
    justification: 'The same daily use per seat; two integrations; a seat change a month.',
  },
  {
    id: 'enterprise-500',
    label: 'Enterprise, 500 seats',
    plan: 'enterprise',
    seats: 500,
    activeSeatShare: 0.7,
    perActiveSeatPerWorkingDay: WORKING_DAY,
    perTenantPerDay: { 'api.projects.list-api-key': 10 * POLLS_PER_INTEGRATION_PER_DAY },
    perSeatPerMonth: MEMBERSHIP_CHURN,
    perTenantPerMonth: { 'api.api-keys.create': 1 },
    justification:
      'A larger organisation: 7 in 10 seats active on a working day, ten integrations, seats set by sales ' +
      '(no self-serve seat changes); invoiced monthly like the others.',
  },
];

export function profileById(id: string): TenantProfile {
  const profile = PROFILES.find((p) => p.id === id);
  if (!profile) throw new Error(`no tenant profile "${id}"`);
  return profile;
}
