import { z } from 'zod';
import { usageDaysOut } from '../../platform/http/outputs';

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

/** A page of tenants ranked by cost or by loss, as the console shows it (its rows are described loosely here). */
const economicsPage = z.looseObject({}).describe('a page of tenants with their usage, cost, revenue and margin');
export const economicsResponse = z.object({ windowDays: z.number(), rollupEveryHours: z.number(), pricesReadOn: z.string(), byCost: economicsPage, losses: economicsPage });
