import { z } from 'zod';
import { PLANS } from '../../platform/db/schema';
import { tenantOut, timestampOut, usageDaysOut } from '../../platform/http/outputs';

export const opsHealthResponse = z.object({
  deadEvents: z.number().int(),
  oldestUnprocessedEventAgeSeconds: z.number(),
  outbox: z.object({ pending: z.number().int(), failed: z.number().int() }),
  reconciliationLagSeconds: z.number(),
  errorRate5m: z.number(),
  p95Ms5m: z.number(),
  errorRate60m: z.number(),
  p95Ms60m: z.number(),
  requests5m: z.number().int(),
  requests60m: z.number().int(),
});
export const tenantSearchResponse = z.object({ tenants: z.array(z.looseObject({ id: z.string(), slug: z.string(), name: z.string() })) });
export const tenantUsageResponse = usageDaysOut;
export const stripeEventsResponse = z.object({ events: z.array(z.looseObject({ id: z.string(), type: z.string() })) });
export const replayedResponse = z.object({ replayed: z.string() });
export const timelineResponse = z.object({
  tenant: z.unknown(),
  deleted: z.unknown(),
  subscription: z.unknown(),
  seats: z.unknown(),
  entries: z.array(z.object({ at: z.number(), source: z.enum(['audit', 'stripe', 'security']), what: z.string(), requestId: z.string().nullable(), detail: z.record(z.string(), z.unknown()) })),
  usage: usageDaysOut.shape.days,
});

/**
 * One tenant's 30 days: what its meter rolled up, its cost beside the revenue
 * its subscription bills. features/ops/economics.ts builds its rows as this
 * type, so the document and the answer cannot drift apart.
 */
export const tenantEconomicsOut = z.object({
  tenant: tenantOut,
  plan: z.enum(PLANS).describe('free when the tenant has no subscription'),
  status: z.string().describe("Stripe's subscription status, or none"),
  seats: z.number().int().nullable().describe("the subscription's seat quantity; null without one"),
  /** The same counters as a usage day, summed over the window. */
  usage: usageDaysOut.shape.days.element.omit({ date: true }),
  costUsd: z.number().describe('marginal cost at docs/economics/prices.json, to the millionth of a cent'),
  revenueUsd: z.number().describe('what the subscription bills a month'),
  marginUsd: z.number().describe('revenue minus cost; negative for a tenant that costs more than it pays'),
  windowFrom: z.string().describe('first UTC day of the window, YYYY-MM-DD'),
  rolledUpAt: timestampOut,
});
/** A page of tenants ranked by cost or by loss, as the console shows it. */
const economicsPage = z.object({ page: z.number().int(), nextPage: z.number().int().nullable().describe('null on the last page'), tenants: z.array(tenantEconomicsOut) });
export const economicsResponse = z.object({
  windowDays: z.number().int(),
  rollupEveryHours: z.number(),
  pricesReadOn: z.string().describe('the day the prices in docs/economics/prices.json were read (YYYY-MM-DD)'),
  byCost: economicsPage,
  losses: economicsPage,
});
