/**
 * The cost model (scripts/cost): its arithmetic on a small fixed profile,
 * checked against figures worked out by hand below; the measurements file's
 * format; the plan prices against what the app sells; and the committed
 * cost-model.md against what the model writes from the committed inputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';
import { describe, expect, test } from 'vitest';
import { emptyUsage, loadMeasurements, measurementsSchema, OPERATION_KINDS, type Measurements, type OperationKind, type Usage } from '../../scripts/cost/measurements.ts';
import { accountBill, cronModel, cronRunCounters, storageBytes, tenantEconomics, tenantUsage, type ModelInputs } from '../../scripts/cost/model.ts';
import { loadPrices } from '../../scripts/cost/prices.ts';
import { ASSUMPTIONS, PLAN_PRICES, PROFILES, type TenantProfile } from '../../scripts/cost/profiles.ts';
import { CHART_FILE, costChart, costModelMarkdown } from '../../scripts/cost/report.ts';
import { startStripeEmulator } from '../../tools/stripe-emulator/server.ts';

const ECONOMICS = join(import.meta.dirname, '..', '..', 'docs', 'economics');
const prices = loadPrices(join(ECONOMICS, 'prices.json'));

function usage(fields: Partial<Usage> = {}): Usage {
  return { ...emptyUsage(), ...fields };
}

/** Every operation uses nothing, except those given. */
function fixtureMeasurements(used: Partial<Record<OperationKind, Partial<Usage>>>, bytesPerRow: Record<string, number> = { users: 250 }): Measurements {
  return measurementsSchema.parse({
    schemaVersion: 1,
    method: 'provisional-binding-meter',
    provisional: true,
    methodNote: 'fixture',
    measuredOn: '2026-11-30',
    environment: { host: 'test', node: 'v22', wrangler: '4', miniflare: '5', compatibilityDate: '2026-11-01' },
    operations: Object.fromEntries(OPERATION_KINDS.map((kind) => [kind, { description: kind, samples: 1, perOperation: usage(used[kind]), scans: {} }])),
    stripeEvents: { perCheckout: 4, perSeatChange: 1, perRenewal: 2 },
    cronRuns: [
      { label: 'a', customers: 0, tenants: 1, tableRows: {}, usage: usage() },
      { label: 'b', customers: 1, tenants: 1, tableRows: {}, usage: usage() },
    ],
    storage: { tenants: 1, d1BytesAtStart: 0, d1BytesAtEnd: 0, bytesPerRow, doBytesPerTenant: 20_000 },
    d1WriteBenchmark: { writes: 1, sequentialMsPerWrite: 1, sqlMsPerWrite: 0.1, concurrency: 1, concurrentWritesPerSecond: 1000 },
    crossCheck: null,
  });
}

/** Two people on pro, each listing projects 7 times a working day; nothing else but what every tenant does. */
const SMALL_PRO: TenantProfile = {
  id: 'small-pro',
  label: 'Small pro',
  plan: 'pro',
  seats: 2,
  activeSeatShare: 1,
  perActiveSeatPerWorkingDay: { 'api.projects.list': 7 },
  perTenantPerDay: {},
  perSeatPerMonth: {},
  perTenantPerMonth: {},
  justification: 'fixture',
};

const inputs: ModelInputs = {
  prices,
  measurements: fixtureMeasurements({
    'api.projects.list': { requests: 1, cpuMs: 5, d1RowsRead: 4 },
    'do.alarm': { doRequests: 1, doWallMs: 2, doSqlRowsWritten: 1, d1RowsRead: 3 },
    'stripe.webhook': { requests: 1, queueMessages: 1, queueDeliveries: 1, d1RowsWritten: 10 },
    'auth.signup': { requests: 1, d1RowsWritten: 15, d1StorageBytes: 1000, d1RowsAdded: { users: 4 } },
    'billing.checkout': { requests: 1 },
  }),
  assumptions: { ...ASSUMPTIONS, fleetMix: { 'small-pro': 1 } },
  planPrices: PLAN_PRICES,
  profiles: [SMALL_PRO],
};

describe('the model on a small fixed profile (worked by hand)', () => {
  // Operations a month (30 days, 150/7 working days; lifetime 24 months):
  //   api.projects.list  2 seats × 1 active × 150/7 days × 7      = 300
  //   do.alarm           30 × 24 × 60 / 10                        = 4,320
  //   auth.signup        1/24;  billing.checkout 1/24 (pro buys through checkout)
  //   stripe.webhook     2 per renewal + 4 per checkout / 24      = 2 + 1/6 = 13/6
  test('monthly usage per resource', () => {
    const u = tenantUsage(SMALL_PRO, inputs, {});
    // requests: 300 + 1/24 + 1/24 + 13/6 = 302.25
    expect(u.workersRequests).toBeCloseTo(302.25, 9);
    // CPU: 300 × 5 ms
    expect(u.workersCpuMs).toBeCloseTo(1500, 9);
    // D1 rows read: 300 × 4 + 4,320 × 3 = 1,200 + 12,960
    expect(u.d1RowsRead).toBeCloseTo(14_160, 9);
    // D1 rows written: 15/24 + 10 × 13/6 = 0.625 + 21.6667
    expect(u.d1RowsWritten).toBeCloseTo(0.625 + 130 / 6, 9);
    // D1 storage: the sign-up's 4 rows × 250 bytes count once, whatever the age = 1e-6 GB
    expect(u.d1StorageGbMonth).toBeCloseTo(1e-6, 15);
    // Object: 4,320 alarm requests; (2 ms measured + 10 ms production) / 1000 × 0.128 GB × 4,320 = 6.63552 GB-s
    expect(u.doRequests).toBeCloseTo(4320, 9);
    expect(u.doDurationGbS).toBeCloseTo(6.63552, 9);
    // Object SQLite rows written: 1 per alarm + 1 per alarm's setAlarm() = 8,640; storage 20,000 bytes = 2e-5 GB
    expect(u.doSqliteRowsWritten).toBeCloseTo(8640, 9);
    expect(u.doSqliteStorageGbMonth).toBeCloseTo(2e-5, 15);
    // Queue: (2 × 1 message + 1 delivery) × 13/6 = 6.5 operations
    expect(u.queueOperations).toBeCloseTo(6.5, 9);
    // Analytics Engine, one point per unit of work: requests 302.25 + deliveries 13/6 (alarms are no unit, no object calls) = 304.41667
    expect(u.analyticsEngineDataPoints).toBeCloseTo(302.25 + 13 / 6, 9);
    expect(u.emailsSent).toBe(0);
  });

  test('a table the retention policy prunes holds only its window, and the job writes as its inserts did', () => {
    // One sign-in per active seat per working day: 2 × 150/7 = 300/7 a month, each adding a session (200 bytes,
    // 2 rows written with its index) and an audit row (300 bytes), which is kept for good.
    const signIns: TenantProfile = { ...SMALL_PRO, perActiveSeatPerWorkingDay: { 'auth.login': 1 } };
    const measured: ModelInputs = {
      ...inputs,
      measurements: fixtureMeasurements(
        { 'auth.login': { requests: 1, d1RowsWritten: 3, d1RowsAdded: { sessions: 1, audit_log: 1 }, d1ByTable: { sessions: { queries: 1, rowsRead: 0, rowsWritten: 2 }, audit_log: { queries: 1, rowsRead: 0, rowsWritten: 1 } } } },
        { sessions: 200, audit_log: 300 },
      ),
      profiles: [signIns],
    };
    // Sessions are kept 30 days = 1 month: at 12 months, 300/7 of them; the audit rows, 12 × 300/7 = 3,600/7.
    const stored = storageBytes(signIns, measured, 12);
    expect(stored.rows.sessions).toBeCloseTo(300 / 7, 9);
    expect(stored.rows.audit_log).toBeCloseTo(3600 / 7, 9);
    // 300/7 × 200 + 3,600/7 × 300 = 1,140,000/7 bytes
    expect(stored.d1Bytes).toBeCloseTo(1_140_000 / 7, 6);
    // Under a month old nothing is pruned yet: half a month holds 150/7 sessions.
    expect(storageBytes(signIns, measured, 0.5).rows.sessions).toBeCloseTo(150 / 7, 9);
    // D1 rows written: 300/7 sign-ins × 3, plus the job deleting 300/7 sessions a month × 2 = 1,500/7
    expect(tenantUsage(signIns, measured, {}).d1RowsWritten).toBeCloseTo(1500 / 7, 9);
  });

  test('cost, revenue, Stripe fees and margin', () => {
    const e = tenantEconomics(SMALL_PRO, inputs);
    // At list price ($ per unit), summed:
    //   requests 302.25 × 0.30e-6   = 0.000090675
    //   CPU 1,500 × 0.02e-6         = 0.00003
    //   D1 read 14,160 × 0.001e-6   = 0.00001416
    //   D1 written 22.2917 × 1e-6   = 0.0000222917
    //   D1 storage 1e-6 × 0.75      = 0.00000075
    //   object requests 4,320 × 0.15e-6 = 0.000648
    //   object GB-s 6.63552 × 12.5e-6   = 0.000082944
    //   object rows written 8,640 × 1e-6 = 0.00864
    //   object storage 2e-5 × 0.20      = 0.000004
    //   queue 6.5 × 0.40e-6             = 0.0000026
    //   Analytics Engine 304.41667 × 0.25e-6 = 0.0000761042
    //   total                            = 0.0096115252
    expect(e.cloudflare.doSqliteRowsWritten).toBeCloseTo(0.00864, 12);
    expect(e.cloudflareTotal).toBeCloseTo(0.0096115252, 9);
    // Revenue: 2 seats × $12 = $24. Card: 2.9% × 24 + 0.30 = 0.996; Billing: 0.7% × 24 = 0.168
    expect(e.revenue).toBe(24);
    expect(e.stripe.card).toBeCloseTo(0.996, 12);
    expect(e.stripe.billing).toBeCloseTo(0.168, 12);
    // Gross profit: 24 − 1.164 − 0.0096115252 = 22.8263884748; margin ÷ 24 = 0.95109952
    expect(e.grossProfit).toBeCloseTo(22.8263884748, 9);
    expect(e.grossMargin).toBeCloseTo(0.95109952, 8);
  });

  test("the account's bill: the base fee, then only what exceeds each allowance", () => {
    const u = tenantUsage(SMALL_PRO, inputs, {});
    // 40,000 such tenants: 12,090,000 requests → 2,090,000 over 10 M × $0.30/M = $0.627;
    // CPU 60 M ms → 30 M over × $0.02/M = $0.60; object requests 172.8 M → 171.8 M over × $0.15/M = $25.77
    const fleet = Object.fromEntries(Object.entries(u).map(([r, v]) => [r, v * 40_000])) as typeof u;
    const bill = accountBill(fleet, prices);
    expect(bill.byResource.workersRequests).toBeCloseTo(0.627, 9);
    expect(bill.byResource.workersCpuMs).toBeCloseTo(0.6, 9);
    expect(bill.byResource.doRequests).toBeCloseTo(25.77, 9);
    // D1 rows read, 566.4 M, stay inside 25 B: nothing
    expect(bill.byResource.d1RowsRead).toBe(0);
    expect(bill.total).toBeCloseTo(5 + Object.values(bill.byResource).reduce((a, b) => a + b, 0), 9);
  });

  test('an operation that reads a table in full reads as many rows as the table holds', () => {
    // Listing projects, measured at 10 outbox rows, read 4 rows of which 1 per outbox row (a scan):
    // with 1,010 outbox rows it reads 4 + 1 × (1,010 − 10) = 1,004 rows, 300 times a month.
    const scanning: ModelInputs = { ...inputs, measurements: structuredClone(inputs.measurements) };
    scanning.measurements.operations['api.projects.list'].scans = { outbox_emails: { rowsReadPerRow: 1, rowsHeld: 10 } };
    const small = tenantUsage(SMALL_PRO, scanning, { outbox_emails: 10 });
    const large = tenantUsage(SMALL_PRO, scanning, { outbox_emails: 1010 });
    expect(large.d1RowsRead - small.d1RowsRead).toBeCloseTo(300 * 1000, 6);
  });

  test('the cron job: a fixed part, a part per customer, and the tables it reads in full', () => {
    const runs: Measurements['cronRuns'] = [
      // No customers; 20 subscriptions rows read in full (21 rows read), 10 stripe_events rows found by index (1 read).
      {
        label: 'a',
        customers: 0,
        tenants: 20,
        tableRows: { subscriptions: 20, stripe_events: 10 },
        usage: usage({ d1Queries: 2, d1RowsRead: 22, d1ByTable: { subscriptions: { queries: 1, rowsRead: 21, rowsWritten: 0 }, stripe_events: { queries: 1, rowsRead: 1, rowsWritten: 0 } } }),
      },
      // 4 customers reconciled: 2 Stripe calls and 3 queries each, and 2 more subscriptions rows read each.
      {
        label: 'b',
        customers: 4,
        tenants: 20,
        tableRows: { subscriptions: 20, stripe_events: 50 },
        usage: usage({ d1Queries: 14, d1RowsRead: 30, stripeCalls: 8, d1ByTable: { subscriptions: { queries: 13, rowsRead: 29, rowsWritten: 0 }, stripe_events: { queries: 1, rowsRead: 1, rowsWritten: 0 } } }),
      },
    ];
    const model = cronModel(runs);
    // subscriptions: run a reads 21 / 20 rows = 1.05 per row (a scan); stripe_events grew by 40 rows for 0 more reads (an index)
    expect(model.scanRowsReadPerRow).toEqual({ subscriptions: 1.05 });
    // fixed: 22 − 21 = 1 row read; per customer: (30 − 21 − 1) / 4 = 2 rows, (14 − 2) / 4 = 3 queries, 8 / 4 = 2 Stripe calls
    expect(model.base.d1RowsRead).toBeCloseTo(1, 12);
    expect(model.perCustomer.d1RowsRead).toBeCloseTo(2, 12);
    expect(model.perCustomer.d1Queries).toBe(3);
    expect(model.perCustomer.stripeCalls).toBe(2);
    // 1,000 customers, 1,000,000 subscriptions rows: the batch caps reconciliation at 50 → 1 + 50 × 2 + 1.05 × 10⁶ rows read
    const run = cronRunCounters(model, 1000, { subscriptions: 1_000_000 });
    expect(run.d1RowsRead).toBeCloseTo(1 + 100 + 1_050_000, 6);
    expect(run.stripeCalls).toBe(100);
  });
});

describe('the measurements file', () => {
  test('the committed file is valid', () => {
    const committed = loadMeasurements(join(ECONOMICS, 'measurements.json'));
    expect(Object.keys(committed.operations).sort()).toEqual([...OPERATION_KINDS].sort());
    // Until metering lands, the committed figures must say they are provisional.
    expect(committed.provisional).toBe(committed.method !== 'metering');
  });

  test('a file that says it is metered but is provisional, misses an operation or counts below zero is refused', () => {
    const good = JSON.parse(readFileSync(join(ECONOMICS, 'measurements.json'), 'utf8')) as Record<string, unknown> & { operations: Record<string, unknown> };
    expect(measurementsSchema.safeParse(good).success).toBe(true);

    expect(measurementsSchema.safeParse({ ...good, method: 'metering', provisional: true }).success).toBe(false);

    const { 'do.alarm': _dropped, ...fewer } = good.operations;
    expect(measurementsSchema.safeParse({ ...good, operations: fewer }).success).toBe(false);

    const negative = structuredClone(good) as { operations: Record<string, { perOperation: { d1RowsRead: number } }> };
    (negative.operations['api.me'] as { perOperation: { d1RowsRead: number } }).perOperation.d1RowsRead = -1;
    expect(measurementsSchema.safeParse(negative).success).toBe(false);

    expect(measurementsSchema.safeParse({ ...good, invented: 0 }).success).toBe(false);
  });
});

describe('the plan prices', () => {
  test('are the prices the app sells (the Stripe emulator seeds them as STRIPE_PRICE_PRO / STRIPE_PRICE_ENTERPRISE)', async () => {
    const emulator = await startStripeEmulator({ webhookSecret: 'whsec_cost_model' });
    try {
      const stripe = new Stripe('sk_test_cost_model', { host: '127.0.0.1', port: emulator.port, protocol: 'http', httpClient: Stripe.createFetchHttpClient() });
      const pro = await stripe.prices.retrieve('price_pro_monthly');
      const enterprise = await stripe.prices.retrieve('price_enterprise_monthly');
      expect(pro.unit_amount).toBe(PLAN_PRICES.proPerSeatMonthly * 100);
      expect(enterprise.unit_amount).toBe(PLAN_PRICES.enterpriseMonthly * 100);
    } finally {
      await emulator.stop();
    }
  });
});

describe('docs/economics', () => {
  test('cost-model.md and its chart are what the model writes from the committed inputs (rerun `npm run cost -- --model-only`)', () => {
    const committed: ModelInputs = {
      prices,
      measurements: loadMeasurements(join(ECONOMICS, 'measurements.json')),
      assumptions: ASSUMPTIONS,
      planPrices: PLAN_PRICES,
      profiles: PROFILES,
    };
    expect(readFileSync(join(ECONOMICS, 'cost-model.md'), 'utf8')).toBe(costModelMarkdown(committed));
    expect(readFileSync(join(ECONOMICS, CHART_FILE), 'utf8')).toBe(costChart(committed));
  });
});
