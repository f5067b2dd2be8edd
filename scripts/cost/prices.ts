/**
 * The shape of docs/economics/prices.json: Cloudflare's and Stripe's published
 * prices, included allowances and limits, each with where and when it was read.
 */
import { readFileSync } from 'node:fs';
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

const pricesSchema = z.strictObject({
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

export function loadPrices(path: string): Prices {
  return pricesSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}
