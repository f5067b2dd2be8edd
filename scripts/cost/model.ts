/**
 * The cost model: measured resource use per operation × how often tenants do
 * each operation → monthly Cloudflare usage and cost per tenant, revenue,
 * Stripe's fees and gross margin per plan; the same summed over a fleet, with
 * the included allowances. Pure and deterministic: no clock, no I/O.
 */
import type { CronRun, Measurements, OperationKind, Usage } from './measurements.ts';
import { meteredResources, RESOURCES, resourceCosts, sum, zeroUsage, type CloudflareResource, type Prices, type ResourceUsage } from '../../src/platform/economics/pricing.ts';
import { PRUNED, type Retention } from '../../src/platform/retention/policy.ts';
import { APP_SCHEDULES, CALENDAR, type Assumptions, type TenantProfile } from './profiles.ts';

export interface PlanPrices {
  proPerSeatMonthly: number;
  enterpriseMonthly: number;
}

export interface ModelInputs {
  prices: Prices;
  measurements: Measurements;
  assumptions: Assumptions;
  planPrices: PlanPrices;
  profiles: TenantProfile[];
}

export { RESOURCES, sum, type ResourceUsage };

/** The usage fields that add up (everything but the per-table maps). */
export type Counters = Omit<Usage, 'd1RowsAdded' | 'd1ByTable' | 'cpuMs'> & { cpuMs: number };
const COUNTER_FIELDS = [
  'requests',
  'cpuMs',
  'd1Queries',
  'd1RoundTrips',
  'd1RowsRead',
  'd1RowsWritten',
  'd1StorageBytes',
  'doCalls',
  'doRequests',
  'doWallMs',
  'doSqlRowsRead',
  'doSqlRowsWritten',
  'queueMessages',
  'queueDeliveries',
  'emails',
  'stripeCalls',
] as const satisfies readonly (keyof Counters)[];

const BYTES_PER_GB = 1e9;
/** Operations that happen once in a tenant's life: their storage counts once, their cost is spread over its lifetime. */
const ONCE_PER_LIFETIME: readonly OperationKind[] = ['auth.signup', 'billing.checkout'];

function addUsage(a: ResourceUsage, b: ResourceUsage, times = 1): ResourceUsage {
  return Object.fromEntries(RESOURCES.map((r) => [r, a[r] + b[r] * times])) as ResourceUsage;
}

function countersOf(usage: Usage): Counters {
  if (usage.cpuMs === null) throw new Error('the measurements have no CPU figure; rerun the measuring phase on Linux');
  return Object.fromEntries(COUNTER_FIELDS.map((f) => [f, usage[f] ?? 0])) as Counters;
}

// ---------------------------------------------------------------- one tenant

/** How many of each operation a tenant of this profile performs in a month. */
export function operationsPerMonth(profile: TenantProfile, inputs: ModelInputs): Partial<Record<OperationKind, number>> {
  const { assumptions, measurements } = inputs;
  const ops: Partial<Record<OperationKind, number>> = {};
  const add = (kind: OperationKind, n: number) => {
    if (n > 0) ops[kind] = (ops[kind] ?? 0) + n;
  };
  const activeSeatDays = profile.seats * profile.activeSeatShare * CALENDAR.workingDaysPerMonth;
  for (const [kind, rate] of entries(profile.perActiveSeatPerWorkingDay)) add(kind, rate * activeSeatDays);
  for (const [kind, rate] of entries(profile.perTenantPerDay)) add(kind, rate * CALENDAR.daysPerMonth);
  for (const [kind, rate] of entries(profile.perSeatPerMonth)) add(kind, rate * profile.seats);
  for (const [kind, rate] of entries(profile.perTenantPerMonth)) add(kind, rate);

  const lifetime = assumptions.customerLifetimeMonths;
  add('auth.signup', 1 / lifetime);
  if (profile.plan !== 'free') {
    // Pro buys through checkout; enterprise's subscription is made by sales, and Stripe sends the same events.
    if (profile.plan === 'pro') add('billing.checkout', 1 / lifetime);
    const events = measurements.stripeEvents;
    add('stripe.webhook', events.perRenewal + events.perCheckout / lifetime + (ops['billing.seats'] ?? 0) * events.perSeatChange);
  }
  add('do.alarm', (CALENDAR.daysPerMonth * 24 * 60) / APP_SCHEDULES.alarmIntervalMinutes);
  return ops;
}

function entries(rates: Partial<Record<OperationKind, number>>): [OperationKind, number][] {
  return Object.entries(rates) as [OperationKind, number][];
}

/** Billed resources for `times` repetitions of a usage (storage aside: it accumulates, see `storageBytes`). */
function resourcesOf(counters: Counters, times: number, assumptions: Assumptions): ResourceUsage {
  const metered = meteredResources(counters);
  const u = Object.fromEntries(RESOURCES.map((r) => [r, metered[r] * times])) as ResourceUsage;
  u.workersCpuMs = counters.cpuMs * times;
  u.doDurationGbS = ((counters.doWallMs + counters.doRequests * assumptions.productionMsPerDoRequest) / 1000) * assumptions.doMemoryGb * times;
  u.doSqliteRowsRead = counters.doSqlRowsRead * times;
  u.doSqliteRowsWritten = counters.doSqlRowsWritten * times;
  return u;
}

/**
 * Months a row of `table` stays in D1: the retention policy's window
 * (src/platform/retention/policy.ts), or the tenant's whole life. The window
 * is counted from the row's creation, though some clocks start a little
 * later (an invitation's at its expiry, 7 days on): a slight underestimate.
 */
export function keptMonths(table: string): number {
  const rule: Retention | undefined = (PRUNED as Record<string, Retention>)[table];
  return rule ? rule.days / CALENDAR.daysPerMonth : Infinity;
}

/**
 * The rows a tenant's operations leave in D1 at `months` of age, per table,
 * and their bytes (storage.bytesPerRow, indexes included). A pruned table
 * holds only its window's rows: what was added in its last `keptMonths`.
 */
export function storageBytes(profile: TenantProfile, inputs: ModelInputs, months: number): { d1Bytes: number; rows: Record<string, number> } {
  const rows: Record<string, number> = {};
  for (const [kind, perMonth] of entries(operationsPerMonth(profile, inputs))) {
    for (const [table, added] of Object.entries(inputs.measurements.operations[kind].perOperation.d1RowsAdded)) {
      const kept = keptMonths(table);
      // A once-in-a-lifetime row was added at month 0: still there while younger than its window.
      const times = ONCE_PER_LIFETIME.includes(kind) ? (months < kept ? 1 : 0) : perMonth * Math.min(months, kept);
      rows[table] = (rows[table] ?? 0) + added * times;
    }
  }
  let d1Bytes = 0;
  for (const [table, n] of Object.entries(rows)) {
    rows[table] = Math.max(0, n);
    d1Bytes += rows[table] * (inputs.measurements.storage.bytesPerRow[table] ?? 0);
  }
  return { d1Bytes, rows };
}

/**
 * D1 rows the retention job writes for a tenant in a month: once a tenant is
 * older than a pruned table's window, the job deletes as many of its rows as
 * its operations add. Each is billed as its insert was measured (the row and
 * its index entries): local D1 reports one row written per row deleted, but
 * Cloudflare bills index entries on writes, so the insert's figure is the
 * safer bound.
 */
function retentionRowsWrittenPerMonth(profile: TenantProfile, inputs: ModelInputs, months: number): number {
  let written = 0;
  for (const [kind, perMonth] of entries(operationsPerMonth(profile, inputs))) {
    const op = inputs.measurements.operations[kind].perOperation;
    for (const [table, added] of Object.entries(op.d1RowsAdded)) {
      if (added <= 0 || months < keptMonths(table)) continue;
      written += perMonth * (op.d1ByTable[table]?.rowsWritten ?? added);
    }
  }
  return written;
}

/** An operation's counters in a database whose tables hold `tableRows`: the tables it scans read as many rows as they hold. */
function countersAt(op: Measurements['operations'][OperationKind], tableRows: Record<string, number>): Counters {
  const counters = countersOf(op.perOperation);
  const extra = Object.entries(op.scans).reduce((sum, [table, scan]) => sum + scan.rowsReadPerRow * ((tableRows[table] ?? 0) - scan.rowsHeld), 0);
  return { ...counters, d1RowsRead: Math.max(0, counters.d1RowsRead + extra) };
}

/**
 * A tenant's own monthly usage: its operations (in a database whose tables
 * hold `tableRows`), its storage at the assumed age, its object. Fleet-wide
 * work (cron) is apart.
 */
export function tenantUsage(profile: TenantProfile, inputs: ModelInputs, tableRows: Record<string, number>): ResourceUsage {
  const { assumptions, measurements } = inputs;
  let usage = zeroUsage();
  for (const [kind, perMonth] of entries(operationsPerMonth(profile, inputs))) {
    usage = addUsage(usage, resourcesOf(countersAt(measurements.operations[kind], tableRows), perMonth, assumptions));
    // Each alarm re-arms itself with setAlarm(), billed as one SQLite row written.
    if (kind === 'do.alarm') usage.doSqliteRowsWritten += perMonth;
  }
  usage.d1RowsWritten += retentionRowsWrittenPerMonth(profile, inputs, assumptions.tenantAgeMonths);
  usage.d1StorageGbMonth = storageBytes(profile, inputs, assumptions.tenantAgeMonths).d1Bytes / BYTES_PER_GB;
  usage.doSqliteStorageGbMonth = measurements.storage.doBytesPerTenant / BYTES_PER_GB;
  return usage;
}

// ---------------------------------------------------------------- the cron job

interface CronModel {
  /** A run with no Stripe customers and empty tables. */
  base: Counters;
  /** Added per customer reconciled (up to the batch). */
  perCustomer: Counters;
  /** D1 rows a run reads per row of each table it scans. */
  scanRowsReadPerRow: Record<string, number>;
}

function scanRowsRead(scan: Record<string, number>, tableRows: Record<string, number>): number {
  return Object.entries(scan).reduce((sum, [table, perRow]) => sum + perRow * (tableRows[table] ?? 0), 0);
}

/** A table is scanned when reads grow by at least half a row per row it holds; an index lookup reads a few rows whatever the size. */
const SCAN_ROWS_PER_ROW = 0.5;
/** Growth of fewer rows than this tells nothing about how a read grows with the table. */
const MIN_ROWS_FOR_EVIDENCE = 10;

/**
 * Rows read per row the table holds, from two observations of the same read
 * at two table sizes; null when the table did not grow enough to tell, 0 when
 * the growth shows the read does not scan.
 */
export function scanSlope(small: { rows: number; read: number }, large: { rows: number; read: number }): number | null {
  if (large.rows - small.rows < MIN_ROWS_FOR_EVIDENCE) return null;
  const perRow = (large.read - small.read) / (large.rows - small.rows);
  return perRow >= SCAN_ROWS_PER_ROW ? perRow : 0;
}

/**
 * Splits the two measured cron runs into a fixed part, a part per customer
 * reconciled, and the table scans, which grow with the tables. A table's
 * reads per row come from the growth between the runs when the table grew
 * enough, else from the first run (which reconciles nobody).
 */
export function cronModel(runs: readonly [CronRun, CronRun]): CronModel {
  const [a, b] = runs;
  if (a.customers !== 0 || b.customers <= 0) throw new Error('cron runs: the first must have no customers, the second some');
  const scan: Record<string, number> = {};
  for (const table of new Set([...Object.keys(a.usage.d1ByTable), ...Object.keys(b.usage.d1ByTable)])) {
    const rowsA = a.tableRows[table] ?? 0;
    const rowsB = b.tableRows[table] ?? 0;
    const readA = a.usage.d1ByTable[table]?.rowsRead ?? 0;
    const readB = b.usage.d1ByTable[table]?.rowsRead ?? 0;
    // The first run reconciles nobody: with the table's size there and an empty table's few reads, it also tells.
    const perRow = scanSlope({ rows: rowsA, read: readA }, { rows: rowsB, read: readB }) ?? scanSlope({ rows: 0, read: 0 }, { rows: rowsA, read: readA });
    if (perRow) scan[table] = perRow;
  }
  const ca = countersOf(a.usage);
  const cb = countersOf(b.usage);
  const base = { ...ca, d1RowsRead: Math.max(0, ca.d1RowsRead - scanRowsRead(scan, a.tableRows)) };
  const perCustomer = Object.fromEntries(COUNTER_FIELDS.map((f) => [f, Math.max(0, (cb[f] - ca[f]) / b.customers)])) as Counters;
  perCustomer.d1RowsRead = Math.max(0, (cb.d1RowsRead - scanRowsRead(scan, b.tableRows) - base.d1RowsRead) / b.customers);
  return { base, perCustomer, scanRowsReadPerRow: scan };
}

/** One cron run's usage with `customers` Stripe customers and tables of the given sizes. */
export function cronRunCounters(model: CronModel, customers: number, tableRows: Record<string, number>): Counters {
  const reconciled = Math.min(customers, APP_SCHEDULES.reconcileBatch);
  const run = Object.fromEntries(COUNTER_FIELDS.map((f) => [f, model.base[f] + reconciled * model.perCustomer[f]])) as Counters;
  run.d1RowsRead += scanRowsRead(model.scanRowsReadPerRow, tableRows);
  return run;
}

export const CRON_RUNS_PER_MONTH = (CALENDAR.daysPerMonth * 24 * 60) / APP_SCHEDULES.cronIntervalMinutes;

// ---------------------------------------------------------------- a fleet

export interface Fleet {
  tenants: number;
  customers: number;
  tableRows: Record<string, number>;
  d1Bytes: number;
}

/** N tenants in the assumed mix, at the assumed age. */
export function fleet(n: number, inputs: ModelInputs): Fleet {
  let customers = 0;
  let d1Bytes = 0;
  const tableRows: Record<string, number> = {};
  for (const profile of inputs.profiles) {
    const count = n * (inputs.assumptions.fleetMix[profile.id] ?? 0);
    if (profile.plan !== 'free') customers += count;
    const stored = storageBytes(profile, inputs, inputs.assumptions.tenantAgeMonths);
    d1Bytes += count * stored.d1Bytes;
    for (const [table, rows] of Object.entries(stored.rows)) tableRows[table] = (tableRows[table] ?? 0) + count * rows;
  }
  return { tenants: n, customers, tableRows, d1Bytes };
}

/** The cron job's month for a fleet of N tenants. */
function cronUsage(n: number, inputs: ModelInputs): ResourceUsage {
  const f = fleet(n, inputs);
  const run = cronRunCounters(cronModel(inputs.measurements.cronRuns), f.customers, f.tableRows);
  return resourcesOf(run, CRON_RUNS_PER_MONTH, inputs.assumptions);
}

/** Everything a fleet of N tenants uses in a month. */
function fleetUsage(n: number, inputs: ModelInputs): ResourceUsage {
  let usage = cronUsage(n, inputs);
  const { tableRows } = fleet(n, inputs);
  for (const profile of inputs.profiles) {
    usage = addUsage(usage, tenantUsage(profile, inputs, tableRows), n * (inputs.assumptions.fleetMix[profile.id] ?? 0));
  }
  usage.analyticsEngineReadQueries += inputs.assumptions.analyticsReadQueriesPerMonth;
  return usage;
}

// ---------------------------------------------------------------- money

/** Cost per resource at list price, as if every allowance were used up: the marginal cost. */
function marginalCost(usage: ResourceUsage, prices: Prices): Record<CloudflareResource, number> {
  return resourceCosts(usage, prices, { allowances: false });
}

/** The account's bill: the base fee, then each resource beyond its allowance. */
export function accountBill(usage: ResourceUsage, prices: Prices): { total: number; byResource: Record<CloudflareResource, number> } {
  const byResource = resourceCosts(usage, prices, { allowances: true });
  return { total: prices.cloudflare.workersPaidBase.monthly + sum(Object.values(byResource)), byResource };
}

function monthlyRevenue(profile: TenantProfile, planPrices: PlanPrices): number {
  switch (profile.plan) {
    case 'free':
      return 0;
    case 'pro':
      return profile.seats * planPrices.proPerSeatMonthly;
    case 'enterprise':
      return planPrices.enterpriseMonthly;
  }
}

/** One card charge a month per paying tenant, plus Billing's share of the volume. */
function stripeFees(revenue: number, prices: Prices): { card: number; billing: number; total: number } {
  if (revenue <= 0) return { card: 0, billing: 0, total: 0 };
  const card = (revenue * prices.stripe.cardPercent.value) / 100 + prices.stripe.cardFixed.value;
  const billing = (revenue * prices.stripe.billingPercent.value) / 100;
  return { card, billing, total: card + billing };
}

export interface TenantEconomics {
  profile: TenantProfile;
  operations: Partial<Record<OperationKind, number>>;
  requestsPerSeatPerDay: number;
  usage: ResourceUsage;
  /** This tenant's share of the cron job, in a fleet of the reference size (whose table sizes its scans also read). */
  cronShare: ResourceUsage;
  cloudflare: Record<CloudflareResource, number>;
  cloudflareTotal: number;
  revenue: number;
  stripe: { card: number; billing: number; total: number };
  grossProfit: number;
  /** Null for the free plan: it earns nothing. */
  grossMargin: number | null;
}

export const REFERENCE_FLEET = 10_000;

/** A tenant's month at marginal prices (allowances used up), its share of the cron job included. */
export function tenantEconomics(profile: TenantProfile, inputs: ModelInputs): TenantEconomics {
  const operations = operationsPerMonth(profile, inputs);
  const own = tenantUsage(profile, inputs, fleet(REFERENCE_FLEET, inputs).tableRows);
  const cronShare = addUsage(zeroUsage(), cronUsage(REFERENCE_FLEET, inputs), 1 / REFERENCE_FLEET);
  const usage = addUsage(own, cronShare);
  const cloudflare = marginalCost(usage, inputs.prices);
  const cloudflareTotal = sum(Object.values(cloudflare));
  const revenue = monthlyRevenue(profile, inputs.planPrices);
  const stripe = stripeFees(revenue, inputs.prices);
  const grossProfit = revenue - stripe.total - cloudflareTotal;
  const humanRequests = sum(
    entries(operations)
      .filter(([kind]) => kind in profile.perActiveSeatPerWorkingDay)
      .map(([kind, n]) => n * (inputs.measurements.operations[kind].perOperation.requests ?? 0)),
  );
  return {
    profile,
    operations,
    requestsPerSeatPerDay: humanRequests / profile.seats / CALENDAR.daysPerMonth,
    usage,
    cronShare,
    cloudflare,
    cloudflareTotal,
    revenue,
    stripe,
    grossProfit,
    grossMargin: revenue > 0 ? grossProfit / revenue : null,
  };
}

/** Fleet of N: the account's bill, per tenant, and the same at marginal prices. */
export function fleetCost(n: number, inputs: ModelInputs): { bill: number; perTenant: number; marginal: number; marginalPerTenant: number } {
  const usage = fleetUsage(n, inputs);
  const bill = accountBill(usage, inputs.prices).total;
  const marginal = sum(Object.values(marginalCost(usage, inputs.prices)));
  return { bill, perTenant: bill / n, marginal, marginalPerTenant: marginal / n };
}

/** The smallest fleet (to 3 significant figures) for which `test` holds; null if none up to 10⁹ tenants. */
export function smallestFleet(test: (n: number) => boolean): number | null {
  let lo = 1;
  let hi = 1e9;
  if (!test(hi)) return null;
  if (test(lo)) return lo;
  while (hi / lo > 1.001) {
    const mid = Math.sqrt(lo * hi);
    if (test(mid)) hi = mid;
    else lo = mid;
  }
  return Number(hi.toPrecision(3));
}

/** Fleet size at which each resource outgrows its allowance. */
export function allowanceCrossings(inputs: ModelInputs): Record<CloudflareResource, number | null> {
  return Object.fromEntries(
    RESOURCES.map((r) => [r, smallestFleet((n) => fleetUsage(n, inputs)[r] > inputs.prices.cloudflare[r].included)]),
  ) as Record<CloudflareResource, number | null>;
}

/**
 * Fleet size from which the allowances cover less than `share` of the usage
 * at marginal prices: past it, cost per tenant is the marginal cost. (The $5
 * base fee fades the same way, and sooner.)
 */
export function allowancesStopMattering(inputs: ModelInputs, share = 0.05): number | null {
  const base = inputs.prices.cloudflare.workersPaidBase.monthly;
  return smallestFleet((n) => {
    const { bill, marginal } = fleetCost(n, inputs);
    const coveredByAllowances = marginal - (bill - base);
    return coveredByAllowances <= share * marginal;
  });
}
