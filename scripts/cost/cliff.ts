/**
 * Where the architecture stops scaling as the fleet grows from 10 to 1,000,000
 * tenants: one D1 database's size and throughput, one object's request rate,
 * one queue's throughput, Workers' CPU per invocation, and the app's own
 * reconciliation sweep. Pure arithmetic on the model's figures.
 */
import { num as fmt } from './format.ts';
import type { OperationKind } from './measurements.ts';
import {
  CRON_RUNS_PER_MONTH,
  cronModel,
  cronRunCounters,
  fleet,
  keptMonths,
  operationsPerMonth,
  smallestFleet,
  type ModelInputs,
} from './model.ts';
import { APP_SCHEDULES, CALENDAR, profileById, type TenantProfile } from './profiles.ts';

/** Where load comes from: people follow working hours (× the peak factor); the rest runs around the clock. */
const LOAD_SOURCES = ['people', 'integrations', 'alarms', 'stripe', 'cron'] as const;
type LoadSource = (typeof LOAD_SOURCES)[number];

const SOURCE_OF: Partial<Record<OperationKind, LoadSource>> = {
  'api.projects.list-api-key': 'integrations',
  'do.alarm': 'alarms',
  'stripe.webhook': 'stripe',
};

type Field = 'd1Queries' | 'd1RowsWritten' | 'doRequests' | 'queueMessages';

function zeroLoad(): Record<LoadSource, number> {
  return { people: 0, integrations: 0, alarms: 0, stripe: 0, cron: 0 };
}

/** One tenant's rate of `field` per second at the busiest minute, by source. */
function tenantPeakLoad(profile: TenantProfile, inputs: ModelInputs, field: Field): Record<LoadSource, number> {
  const load = zeroLoad();
  for (const [kind, perMonth] of Object.entries(operationsPerMonth(profile, inputs)) as [OperationKind, number][]) {
    const source = SOURCE_OF[kind] ?? 'people';
    const perSecond = (perMonth * inputs.measurements.operations[kind].perOperation[field]) / CALENDAR.secondsPerMonth;
    load[source] += source === 'people' ? perSecond * inputs.assumptions.peakFactor : perSecond;
  }
  return load;
}

/** A fleet of N's rate of `field` per second at the busiest minute, by source; the cron job's spread over its 5 minutes. */
function fleetPeakLoad(n: number, inputs: ModelInputs, field: Field): Record<LoadSource, number> {
  const load = zeroLoad();
  for (const profile of inputs.profiles) {
    const count = n * (inputs.assumptions.fleetMix[profile.id] ?? 0);
    const tenant = tenantPeakLoad(profile, inputs, field);
    for (const source of LOAD_SOURCES) load[source] += count * tenant[source];
  }
  const f = fleet(n, inputs);
  const run = cronRunCounters(cronModel(inputs.measurements.cronRuns), f.customers, f.tableRows);
  load.cron += (run[field] * CRON_RUNS_PER_MONTH) / CALENDAR.secondsPerMonth;
  return load;
}

function fleetPeakRate(n: number, inputs: ModelInputs, field: Field): number {
  const load = fleetPeakLoad(n, inputs, field);
  return LOAD_SOURCES.reduce((total, source) => total + load[source], 0);
}

/** "a 80%, b 13%, …" for the parts of at least 1%, largest first. */
function shares(parts: Record<string, number>): string {
  const total = Object.values(parts).reduce((t, v) => t + v, 0);
  return Object.entries(parts)
    .map(([name, v]) => [name, Math.round((100 * v) / total)] as const)
    .filter(([, pct]) => pct >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([name, pct]) => `${name} ${pct}%`)
    .join(', ');
}

export interface GrowthRow {
  tenants: number;
  d1Gb: number;
  d1PeakQueriesPerSecond: number;
  d1PeakWritesPerSecond: number;
  queuePeakMessagesPerSecond: number;
  reconcileCycleHours: number;
  cronRowsReadPerRun: number;
}

export function growthRow(n: number, inputs: ModelInputs): GrowthRow {
  const f = fleet(n, inputs);
  const run = cronRunCounters(cronModel(inputs.measurements.cronRuns), f.customers, f.tableRows);
  return {
    tenants: n,
    d1Gb: f.d1Bytes / 1e9,
    d1PeakQueriesPerSecond: fleetPeakRate(n, inputs, 'd1Queries'),
    d1PeakWritesPerSecond: fleetPeakRate(n, inputs, 'd1RowsWritten'),
    queuePeakMessagesPerSecond: fleetPeakRate(n, inputs, 'queueMessages'),
    reconcileCycleHours: (Math.max(1, Math.ceil(f.customers / APP_SCHEDULES.reconcileBatch)) * APP_SCHEDULES.cronIntervalMinutes) / 60,
    cronRowsReadPerRun: run.d1RowsRead,
  };
}

export interface Cliff {
  id: 'd1-storage' | 'd1-throughput' | 'do-rate' | 'queue-throughput' | 'workers-cpu' | 'reconcile-sweep';
  name: string;
  limit: string;
  /** Fleet size at which the limit is reached; null when no fleet of up to 10⁹ reaches it, or when fleet size is not what reaches it. */
  tenants: number | null;
  arithmetic: string;
  /** A platform limit, or the app's own design. */
  kind: 'platform' | 'app';
}


/** A year on: the pruned tables have stopped growing (no window is longer than a year), the rest have not. */
function storageAYearOn(inputs: ModelInputs, perTenantNow: number) {
  const months = inputs.assumptions.tenantAgeMonths + 12;
  const later = fleet(1, { ...inputs, assumptions: { ...inputs.assumptions, tenantAgeMonths: months } });
  const pruned = Object.keys(later.tableRows).filter((table) => Number.isFinite(keptMonths(table)));
  return { months, d1Bytes: later.d1Bytes, growthPerMonth: (later.d1Bytes - perTenantNow) / 12, pruned };
}

export function scalingCliffs(inputs: ModelInputs): Cliff[] {
  const { prices, assumptions, measurements } = inputs;
  const perTenant = fleet(1, inputs);
  const aYearOn = storageAYearOn(inputs, perTenant.d1Bytes);
  const dbLimit = prices.limits.d1DatabaseBytes.value;
  const qpsLimit = 1000 / assumptions.productionMsPerD1Query;
  const qpsTenants = smallestFleet((n) => fleetPeakRate(n, inputs, 'd1Queries') >= qpsLimit);
  const queueLimit = prices.limits.queueMessagesPerSecond.value;
  const doLimit = prices.limits.doRequestsPerSecondPerObject.value;
  const cpuLimit = prices.limits.workersCpuMsPerInvocation.value;

  const largest = profileById('enterprise-500');
  const doLoad = tenantPeakLoad(largest, inputs, 'doRequests');
  const doFlat = doLoad.integrations + doLoad.alarms + doLoad.stripe;
  const doPerSeat = doLoad.people / largest.seats;
  const seatsAtDoLimit = doPerSeat > 0 ? (doLimit - doFlat) / doPerSeat : Infinity;

  const cron = cronModel(measurements.cronRuns);
  const fullRun = cronRunCounters(cron, APP_SCHEDULES.reconcileBatch, fleet(1e6, inputs).tableRows);
  const worstOp = Object.entries(measurements.operations).reduce(
    (worst, [kind, op]) => ((op.perOperation.cpuMs ?? 0) / Math.max(1, op.perOperation.requests) > worst.ms ? { kind, ms: (op.perOperation.cpuMs ?? 0) / Math.max(1, op.perOperation.requests) } : worst),
    { kind: '', ms: 0 },
  );
  const payingShare = perTenant.customers;
  const sweepCustomers = APP_SCHEDULES.reconcileBatch * ((24 * 60) / APP_SCHEDULES.cronIntervalMinutes);

  return [
    {
      id: 'd1-storage',
      name: "D1 database size (one database holds every tenant's rows)",
      limit: `${fmt(dbLimit / 1e9)} GB per database, not raisable`,
      tenants: Math.floor(dbLimit / perTenant.d1Bytes),
      arithmetic:
        `${fmt(dbLimit / 1e9)} GB ÷ ${fmt(perTenant.d1Bytes / 1000)} kB per tenant (the mix at ${assumptions.tenantAgeMonths} months: ` +
        `${shares(Object.fromEntries(Object.entries(perTenant.tableRows).map(([table, rows]) => [table, rows * (measurements.storage.bytesPerRow[table] ?? 0)])))}) ` +
        `= ${fmt(dbLimit / perTenant.d1Bytes)} tenants; at ${aYearOn.months} months ${fmt(dbLimit / aYearOn.d1Bytes)} ` +
        `(${aYearOn.pruned.join(', ')} pruned by the retention policy, the rest growing ${fmt(aYearOn.growthPerMonth / 1000)} kB a month per tenant)`,
      kind: 'platform',
    },
    {
      id: 'd1-throughput',
      name: 'D1 throughput (one database runs one query at a time)',
      limit: `≈ ${fmt(qpsLimit)} queries/s at ${assumptions.productionMsPerD1Query} ms per query (Cloudflare's figure); writes and reads share it`,
      tenants: qpsTenants,
      arithmetic:
        `at ${fmt(qpsTenants ?? 0)} tenants the busiest minute asks ${fmt(qpsLimit)} queries/s, ${fmt(qpsLimit / (qpsTenants ?? 1))} per tenant ` +
        `(${shares(fleetPeakLoad(qpsTenants ?? 1, inputs, 'd1Queries'))}; people at ${fmt(assumptions.peakFactor)} × their monthly average); ` +
        `locally one single-row write took ${fmt(measurements.d1WriteBenchmark.sequentialMsPerWrite)} ms through the binding ` +
        `(${fmt(measurements.d1WriteBenchmark.sqlMsPerWrite)} ms of it in SQLite)`,
      kind: 'platform',
    },
    {
      id: 'do-rate',
      name: "One tenant's Durable Object request rate",
      limit: `≈ ${fmt(doLimit)} requests/s per object (soft limit)`,
      tenants: null,
      arithmetic:
        `the largest profile (${largest.seats} seats) peaks at ${fmt(doLoad.people + doFlat)} requests/s; ` +
        `(${fmt(doLimit)} − ${fmt(doFlat)} around the clock) ÷ ${fmt(doPerSeat)} per seat at the busiest minute = ${fmt(seatsAtDoLimit)} seats in one tenant: ` +
        'a matter of tenant size, not fleet size',
      kind: 'platform',
    },
    {
      id: 'queue-throughput',
      name: 'stripe-events queue throughput',
      limit: `${fmt(queueLimit)} messages/s per queue`,
      tenants: smallestFleet((n) => fleetPeakRate(n, inputs, 'queueMessages') >= queueLimit),
      arithmetic: `${fmt(queueLimit)} ÷ ${fmt(fleetPeakRate(1, inputs, 'queueMessages'))} peak messages/s per tenant (Stripe events only)`,
      kind: 'platform',
    },
    {
      id: 'workers-cpu',
      name: 'Workers CPU per invocation',
      limit: `${fmt(cpuLimit / 1000)} s by default (up to 5 min); D1: ${fmt(prices.limits.d1QueriesPerInvocation.value)} queries per invocation`,
      tenants: null,
      arithmetic:
        `the heaviest operation (${worstOp.kind}) takes ≤ ${fmt(worstOp.ms)} ms of CPU per invocation (an upper bound); a cron run reconciling a full batch of ` +
        `${APP_SCHEDULES.reconcileBatch} takes ≤ ${fmt(fullRun.cpuMs)} ms and ${fmt(fullRun.d1Queries)} D1 queries; neither grows with the fleet (the batch is capped)`,
      kind: 'platform',
    },
    {
      id: 'reconcile-sweep',
      name: 'Reconciliation sweep falls a day behind',
      limit: `${APP_SCHEDULES.reconcileBatch} customers per ${APP_SCHEDULES.cronIntervalMinutes}-minute run = ${fmt(sweepCustomers)} customers a day`,
      tenants: payingShare > 0 ? Math.floor(sweepCustomers / payingShare) : null,
      arithmetic: `${fmt(sweepCustomers)} customers ÷ ${fmt(payingShare * 100)}% of tenants paying`,
      kind: 'app',
    },
  ];
}

/** The platform limit a growing fleet reaches first. */
export function firstCliff(cliffs: Cliff[]): Cliff {
  const reached = cliffs.filter((c) => c.kind === 'platform' && c.tenants !== null).sort((a, b) => (a.tenants ?? 0) - (b.tenants ?? 0));
  const first = reached[0];
  if (!first) throw new Error('no platform limit is reached by any fleet');
  return first;
}
