/**
 * What usage costs: the one price arithmetic, shared by the cost model
 * (scripts/cost, in Node) and the operator console (in the Worker). Pure:
 * no I/O, no relative imports, so Node can import this file as it is.
 * The prices are docs/economics/prices.json, in the shape checked here.
 */
import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

/** Where a figure comes from: the page, the day it was read, the words it rests on. */
const provenance = {
  source: z.url(),
  readOn: isoDate,
  evidence: z.string().min(1),
  note: z.string().optional(),
  /** False when stored copies disagree or the figure came from a transcription of the page. */
  confirmed: z.boolean(),
};

/** A metered resource: `included` units a month free, then `price` per `per` units. */
const meteredPrice = z.strictObject({
  unit: z.string().min(1),
  included: z.number().nonnegative(),
  price: z.number().nonnegative(),
  per: z.number().positive(),
  ...provenance,
});

const figure = z.strictObject({ value: z.number().positive(), ...provenance });

/** The shape of docs/economics/prices.json: Cloudflare's and Stripe's published prices, included allowances and limits. */
export const pricesSchema = z.strictObject({
  schemaVersion: z.literal(1),
  currency: z.literal('USD'),
  readOn: isoDate,
  howRead: z.string().min(1),
  cloudflare: z.strictObject({
    workersPaidBase: z.strictObject({ monthly: z.number().nonnegative(), ...provenance }),
    workersRequests: meteredPrice,
    workersCpuMs: meteredPrice,
    d1RowsRead: meteredPrice,
    d1RowsWritten: meteredPrice,
    d1StorageGbMonth: meteredPrice,
    doRequests: meteredPrice,
    doDurationGbS: meteredPrice,
    doSqliteRowsRead: meteredPrice,
    doSqliteRowsWritten: meteredPrice,
    doSqliteStorageGbMonth: meteredPrice,
    queueOperations: meteredPrice,
    analyticsEngineDataPoints: meteredPrice,
    analyticsEngineReadQueries: meteredPrice,
    emailsSent: meteredPrice,
  }),
  limits: z.strictObject({
    d1DatabaseBytes: figure,
    d1QueriesPerSecond: figure,
    d1DatabasesPerAccount: figure,
    doRequestsPerSecondPerObject: figure,
    queueMessagesPerSecond: figure,
    workersCpuMsPerInvocation: figure,
    d1QueriesPerInvocation: figure,
  }),
  stripe: z.strictObject({
    cardPercent: figure,
    cardFixed: figure,
    billingPercent: figure,
  }),
});

export type Prices = z.infer<typeof pricesSchema>;
/** The Cloudflare resources billed by usage (everything but the base fee). */
export type CloudflareResource = Exclude<keyof Prices['cloudflare'], 'workersPaidBase'>;
export type ResourceUsage = Record<CloudflareResource, number>;

/** Billed resources in the order reports list them. */
export const RESOURCES: readonly CloudflareResource[] = [
  'workersRequests',
  'workersCpuMs',
  'd1RowsRead',
  'd1RowsWritten',
  'd1StorageGbMonth',
  'doRequests',
  'doDurationGbS',
  'doSqliteRowsRead',
  'doSqliteRowsWritten',
  'doSqliteStorageGbMonth',
  'queueOperations',
  'analyticsEngineDataPoints',
  'analyticsEngineReadQueries',
  'emailsSent',
];

export function zeroUsage(): ResourceUsage {
  return Object.fromEntries(RESOURCES.map((r) => [r, 0])) as ResourceUsage;
}

/**
 * Dollars per resource. `allowances: true` bills only what exceeds each
 * resource's monthly allowance (an account's bill, the base fee apart);
 * `false` prices every unit (the marginal cost, as if the allowances were used up).
 */
export function resourceCosts(usage: ResourceUsage, prices: Prices, { allowances }: { allowances: boolean }): ResourceUsage {
  return Object.fromEntries(
    RESOURCES.map((r) => {
      const p = prices.cloudflare[r];
      return [r, ((allowances ? Math.max(0, usage[r] - p.included) : usage[r]) * p.price) / p.per];
    }),
  ) as ResourceUsage;
}

/** The counters the app meters for itself (wide events' `usage`, the usage meter), as the billed resources they stand for. */
export interface MeteredCounts {
  /** Worker invocations. */
  requests: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  /** Calls on the app's objects, each a unit of work of its own (`do.call`). */
  doCalls: number;
  /** Billed object requests: those calls, the objects' alarms, and the usage meter's adds. */
  doRequests: number;
  queueMessages: number;
  /** Deliveries to the consumer: one per message, more when retried. */
  queueDeliveries: number;
  emails: number;
}

/**
 * The billed resources a set of metered counters stands for. A queue message
 * is written and deleted once and read once per delivery; every unit of work
 * (request, delivery, object call) writes one Analytics Engine data point
 * (platform/observe/meter.ts). CPU, object duration and storage are not in
 * the counters: the cost model adds them from its own measurements.
 */
export function meteredResources(counts: MeteredCounts): ResourceUsage {
  return {
    ...zeroUsage(),
    workersRequests: counts.requests,
    d1RowsRead: counts.d1RowsRead,
    d1RowsWritten: counts.d1RowsWritten,
    doRequests: counts.doRequests,
    queueOperations: 2 * counts.queueMessages + counts.queueDeliveries,
    analyticsEngineDataPoints: counts.requests + counts.queueDeliveries + counts.doCalls,
    emailsSent: counts.emails,
  };
}

export function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Marginal dollars for a set of metered counters: what the operator console shows as a tenant's cost. */
export function meteredCost(counts: MeteredCounts, prices: Prices): number {
  return sum(Object.values(resourceCosts(meteredResources(counts), prices, { allowances: false })));
}
