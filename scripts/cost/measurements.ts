/**
 * The shape of docs/economics/measurements.json: what one run of the measuring
 * phase saw each kind of operation use, on average per operation.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Every kind of operation the scripted workload performs and the model prices. */
export const OPERATION_KINDS = [
  'auth.signup',
  'auth.signup-invitee',
  'auth.login',
  'page.dashboard',
  'page.projects',
  'page.members',
  'page.billing',
  'page.audit-log',
  'api.me',
  'api.projects.list',
  'api.projects.list-api-key',
  'api.members.list',
  'api.billing.get',
  'api.audit-log.list',
  'api.projects.create',
  'api.projects.update',
  'api.projects.delete',
  'api.api-keys.create',
  'api.invitations.create',
  'api.invitations.accept',
  'api.invitations.revoke',
  'api.members.role',
  'api.members.remove',
  'billing.checkout',
  'billing.seats',
  'stripe.webhook',
  'do.alarm',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

const count = z.number().nonnegative();
const tableUsage = z.strictObject({ queries: count, rowsRead: count, rowsWritten: count });

/** Resource use of one operation (or one cron run), everything it caused included: background work, the queue, the object. */
const usageSchema = z.strictObject({
  /** Worker invocations: HTTP requests, queue batches and cron runs. */
  requests: count,
  /** CPU of the whole local workerd process (an upper bound: local D1 and Miniflare's plumbing are in it); null where not measurable. */
  cpuMs: count.nullable(),
  d1Queries: count,
  /** A statement or a batch is one round trip. */
  d1RoundTrips: count,
  d1RowsRead: count,
  d1RowsWritten: count,
  /** Net bytes added to D1: rows added per table × that table's bytes per row (storage.bytesPerRow); negative when rows go. */
  d1StorageBytes: z.number(),
  /** Rows added (or removed) per table, from row counts before and after. */
  d1RowsAdded: z.record(z.string(), z.number()),
  d1ByTable: z.record(z.string(), tableUsage),
  /** RPC calls made on TenantDO stubs (what the wide events' `doCalls` counts). */
  doCalls: count,
  /**
   * Of `doCalls`, the rate limit's leases (decision 0024): about one in a
   * twentieth of a quota's API requests, taken by whichever request found
   * none held, so their share of an operation depends on the workload's order
   * and the minute windows. The profile check compares `doCalls` without them.
   */
  rateLimitLeases: count,
  /** Billed object requests: RPC calls and alarm invocations, counted inside the object. */
  doRequests: count,
  /** Wall time the object was busy, measured inside it (locally: no network, local D1). */
  doWallMs: count,
  doSqlRowsRead: count,
  doSqlRowsWritten: count,
  queueMessages: count,
  /** Deliveries to the consumer: one per message, more when retried. */
  queueDeliveries: count,
  emails: count,
  stripeCalls: count,
});
export type Usage = z.infer<typeof usageSchema>;

/** A unit of work that used nothing: what a count starts from. */
export function emptyUsage(): Usage {
  return {
    requests: 0,
    cpuMs: 0,
    d1Queries: 0,
    d1RoundTrips: 0,
    d1RowsRead: 0,
    d1RowsWritten: 0,
    d1StorageBytes: 0,
    d1RowsAdded: {},
    d1ByTable: {},
    doCalls: 0,
    rateLimitLeases: 0,
    doRequests: 0,
    doWallMs: 0,
    doSqlRowsRead: 0,
    doSqlRowsWritten: 0,
    queueMessages: 0,
    queueDeliveries: 0,
    emails: 0,
    stripeCalls: 0,
  };
}

const operationSchema = z.strictObject({
  description: z.string().min(1),
  samples: z.number().int().positive(),
  perOperation: usageSchema,
  /**
   * Tables the operation reads in full: measured in blocks at different table
   * sizes, its reads grew by `rowsReadPerRow` per row the table held; its
   * perOperation reads are those at `rowsHeld` rows.
   */
  scans: z.record(z.string(), z.strictObject({ rowsReadPerRow: count, rowsHeld: count })),
});

const cronRunSchema = z.strictObject({
  label: z.string().min(1),
  /** Tenants with a Stripe customer: the ones a run reconciles (up to its batch). */
  customers: z.number().int().nonnegative(),
  tenants: z.number().int().nonnegative(),
  tableRows: z.record(z.string(), z.number().int().nonnegative()),
  usage: usageSchema,
});
export type CronRun = z.infer<typeof cronRunSchema>;

const crossCheckSchema = z.strictObject({
  operation: z.string(),
  field: z.string(),
  metered: z.number(),
  harness: z.number(),
});

export const measurementsSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    /** `metering`: the app's wide events' `usage`; `provisional-binding-meter`: the harness's wrapped bindings, before metering existed. */
    method: z.enum(['metering', 'provisional-binding-meter']),
    provisional: z.boolean(),
    methodNote: z.string().min(1),
    measuredOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    environment: z.strictObject({
      host: z.string(),
      node: z.string(),
      wrangler: z.string(),
      miniflare: z.string(),
      compatibilityDate: z.string(),
    }),
    operations: z.strictObject(Object.fromEntries(OPERATION_KINDS.map((kind) => [kind, operationSchema])) as Record<OperationKind, typeof operationSchema>),
    /** Stripe events the app received, per paid checkout, per seat change, per monthly renewal. */
    stripeEvents: z.strictObject({ perCheckout: count, perSeatChange: count, perRenewal: count }),
    /** Two cron runs: before any tenant has a Stripe customer, and after some have. */
    cronRuns: z.tuple([cronRunSchema, cronRunSchema]),
    storage: z.strictObject({
      tenants: z.number().int().positive(),
      d1BytesAtStart: z.number().int().nonnegative(),
      d1BytesAtEnd: z.number().int().nonnegative(),
      /** Used bytes per row of each table, its indexes included (SQLite's dbstat on the D1 file after the run). */
      bytesPerRow: z.record(z.string(), z.number().nonnegative()),
      /** Mean SQLite size of a tenant's object at the end of the workload. */
      doBytesPerTenant: z.number().nonnegative(),
    }),
    d1WriteBenchmark: z.strictObject({
      writes: z.number().int().positive(),
      /** Wall time per single-row INSERT, one at a time, through the D1 binding (Miniflare's RPC included). */
      sequentialMsPerWrite: z.number().positive(),
      /** D1's own `meta.duration` per write: the SQLite work alone. */
      sqlMsPerWrite: z.number().nonnegative(),
      concurrency: z.number().int().positive(),
      concurrentWritesPerSecond: z.number().positive(),
    }),
    /** Where the wide events and the harness disagree (metered runs only). */
    crossCheck: z.array(crossCheckSchema).nullable(),
  })
  .refine((m) => m.provisional === (m.method !== 'metering'), { message: 'provisional must be true exactly when the method is not metering', path: ['provisional'] });

export type Measurements = z.infer<typeof measurementsSchema>;

export function loadMeasurements(path: string): Measurements {
  return measurementsSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}
