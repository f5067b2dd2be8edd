/**
 * The measuring phase of `npm run cost`: builds the production bundle, serves
 * it through Miniflare's API behind the meter module, runs the scripted
 * workload against it and the Stripe emulator, and returns the measurements.
 *
 * Two methods. `metering` (the default) takes each operation's counters from
 * the `usage` of the wide events the Worker logs, and fails, writing nothing,
 * while the app does not log them. `provisional-binding-meter` takes them from
 * the meter module's wrapped bindings alone, and says so in the file.
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPERATION_KINDS, measurementsSchema, type Measurements, type OperationKind, type Usage } from './measurements.ts';
import {
  buildBundle,
  COMPATIBILITY_DATE,
  createRecorder,
  ROOT,
  startApp,
  startEmulator,
  storageBytesPerRow,
  WIDE_EVENT_FIELDS,
  type Block,
  type Recorder,
  type WideEventUsage,
} from './harness.ts';
import { scanSlope } from './model.ts';
import { runWorkload } from './workload.ts';

const WRITE_BENCH = { writes: 2_000, concurrency: 20 };

const PROVISIONAL_NOTE =
  'The app does not meter itself yet (no `usage` on its wide events), so every counter here was measured from outside it: ' +
  'the unmodified production bundle ran behind a harness module that wraps its bindings — D1 through a tapped fetcher that sees the ' +
  'meta D1 returns for every statement (rows read and written, database size), TenantDO stubs counted per RPC call and timed inside ' +
  'the object with its SQLite cursors, queue sends and deliveries, email sends — with Stripe calls counted by the emulator and CPU ' +
  'read from /proc for the whole workerd process. Rerun `npm run cost` once metering lands: it then takes the counters from the wide events.';

const METERED_NOTE =
  "Counters from the `usage` of the app's own wide events (each unit of work's, and the `background` event for what its waitUntil work used), " +
  'summed per operation; the harness measured the same operations independently and crossCheck lists every disagreement, with the metered total. ' +
  "Except rows: D1 returns no `meta` for `raw()`/`first()`, the forms drizzle's selects and RETURNING use, so the wide events' rows read and written " +
  "are a floor (decision 0013); d1RowsRead and d1RowsWritten are D1's own figures, seen by the harness, and the metered ones are in crossCheck. " +
  'Storage, object time, queue deliveries and CPU come from the harness.';

/** Counters the wide events report exactly; rows are a floor there (raw()/first() carry no meta), so D1's own figures stand. */
const EXACT_METERED_FIELDS = WIDE_EVENT_FIELDS.filter((f) => f !== 'd1RowsRead' && f !== 'd1RowsWritten');

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Net bytes an operation adds: the rows it added to each table, at that table's bytes per row. */
function storageOf(usage: Usage, bytesPerRow: Record<string, number>): number {
  return Object.entries(usage.d1RowsAdded).reduce((bytes, [table, rows]) => bytes + rows * (bytesPerRow[table] ?? 0), 0);
}

function average(usage: Usage, samples: number, bytesPerRow: Record<string, number>): Usage {
  const per = (n: number) => round(n / samples);
  return {
    requests: per(usage.requests),
    cpuMs: usage.cpuMs === null ? null : per(usage.cpuMs),
    d1Queries: per(usage.d1Queries),
    d1RoundTrips: per(usage.d1RoundTrips),
    d1RowsRead: per(usage.d1RowsRead),
    d1RowsWritten: per(usage.d1RowsWritten),
    d1StorageBytes: per(storageOf(usage, bytesPerRow)),
    d1RowsAdded: Object.fromEntries(Object.entries(usage.d1RowsAdded).map(([t, n]) => [t, per(n)])),
    d1ByTable: Object.fromEntries(
      Object.entries(usage.d1ByTable).map(([t, u]) => [t, { queries: per(u.queries), rowsRead: per(u.rowsRead), rowsWritten: per(u.rowsWritten) }]),
    ),
    doCalls: per(usage.doCalls),
    rateLimitLeases: per(usage.rateLimitLeases),
    doRequests: per(usage.doRequests),
    doWallMs: per(usage.doWallMs),
    doSqlRowsRead: per(usage.doSqlRowsRead),
    doSqlRowsWritten: per(usage.doSqlRowsWritten),
    queueMessages: per(usage.queueMessages),
    queueDeliveries: per(usage.queueDeliveries),
    emails: per(usage.emails),
    stripeCalls: per(usage.stripeCalls),
  };
}

/**
 * Tables an operation reads in full: between its smallest and largest
 * measured block, its reads per operation grew with the table's size.
 */
function scansOf(blocks: Block[]): Measurements['operations'][OperationKind]['scans'] {
  const scans: Measurements['operations'][OperationKind]['scans'] = {};
  const samples = blocks.reduce((n, b) => n + b.samples, 0);
  for (const table of new Set(blocks.flatMap((b) => Object.keys(b.rowsRead)))) {
    const points = blocks.map((b) => ({ rows: b.rowsHeld[table] ?? 0, read: (b.rowsRead[table] ?? 0) / b.samples })).sort((a, b) => a.rows - b.rows);
    const perRow = scanSlope(points[0] ?? { rows: 0, read: 0 }, points[points.length - 1] ?? { rows: 0, read: 0 });
    if (perRow) scans[table] = { rowsReadPerRow: round(perRow), rowsHeld: round(blocks.reduce((sum, b) => sum + b.samples * (b.rowsHeld[table] ?? 0), 0) / samples) };
  }
  return scans;
}

/**
 * The wide events' exact counters replace the harness's; every field where
 * the two differ is recorded, with both totals (the rows too, which stay D1's own).
 */
function applyMetering(kind: string, usage: Usage, metered: WideEventUsage, crossCheck: NonNullable<Measurements['crossCheck']>): Usage {
  for (const field of WIDE_EVENT_FIELDS) {
    if (metered[field] !== usage[field]) crossCheck.push({ operation: kind, field, metered: metered[field], harness: usage[field] });
  }
  return { ...usage, ...Object.fromEntries(EXACT_METERED_FIELDS.map((f) => [f, metered[f]])), rateLimitLeases: metered.rateLimitLeases };
}

interface Run {
  recorder: Recorder;
  workload: Awaited<ReturnType<typeof runWorkload>>;
  sizeAtStart: number;
  sizeAtEnd: number;
  bench: { writes: number; sequentialMs: number; sqlMs: number; concurrency: number; concurrentMs: number };
}

async function run(provisional: boolean, log: (line: string) => void): Promise<Run> {
  log('building the production bundle (wrangler deploy --dry-run)');
  const bundle = buildBundle();
  const emulator = await startEmulator();
  try {
    const app = await startApp(bundle, emulator);
    try {
      const recorder = createRecorder(app, emulator, { requireMetering: !provisional });
      const sizeAtStart = (await app.harness<{ bytes: number }>('d1-size')).bytes;
      const workload = await runWorkload(app, emulator, recorder, (line) => log(`  ${line}`));
      const sizeAtEnd = (await app.harness<{ bytes: number }>('d1-size')).bytes;
      log(`  D1 write benchmark: ${WRITE_BENCH.writes} single-row writes, then ${WRITE_BENCH.concurrency} writers at once`);
      const bench = await app.harness<Run['bench']>(`d1-write-bench?n=${WRITE_BENCH.writes}&concurrency=${WRITE_BENCH.concurrency}`);
      return { recorder, workload, sizeAtStart, sizeAtEnd, bench };
    } finally {
      await app.stop();
    }
  } finally {
    emulator.stop();
  }
}

export async function measure(options: { provisional: boolean; log: (line: string) => void }): Promise<Measurements> {
  const { recorder, workload, sizeAtStart, sizeAtEnd, bench } = await run(options.provisional, options.log);
  const bytesPerRow = await storageBytesPerRow();

  const crossCheck: NonNullable<Measurements['crossCheck']> = [];
  const operations = {} as Measurements['operations'];
  for (const kind of OPERATION_KINDS) {
    const totals = recorder.totals().get(kind);
    if (!totals) throw new Error(`the workload never measured ${kind}`);
    const usage = totals.metered ? applyMetering(kind, totals.usage, totals.metered, crossCheck) : totals.usage;
    operations[kind as OperationKind] = {
      description: totals.description,
      samples: totals.samples,
      perOperation: average(usage, totals.samples, bytesPerRow),
      scans: scansOf(totals.blocks),
    };
  }
  const cronRuns = workload.cronRuns.map((cron) => ({ ...cron, usage: average(cron.usage, 1, bytesPerRow) })) as Measurements['cronRuns'];
  const measurements: Measurements = {
    schemaVersion: 1,
    method: options.provisional ? 'provisional-binding-meter' : 'metering',
    provisional: options.provisional,
    methodNote: options.provisional ? PROVISIONAL_NOTE : METERED_NOTE,
    measuredOn: new Date().toISOString().slice(0, 10),
    environment: {
      host: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
      node: process.version,
      wrangler: packageVersion('wrangler'),
      miniflare: packageVersion('miniflare'),
      compatibilityDate: COMPATIBILITY_DATE,
    },
    operations,
    stripeEvents: {
      perCheckout: round(workload.stripeEvents.perCheckout),
      perSeatChange: round(workload.stripeEvents.perSeatChange),
      perRenewal: round(workload.stripeEvents.perRenewal),
    },
    cronRuns,
    storage: {
      tenants: workload.tenants,
      d1BytesAtStart: sizeAtStart,
      d1BytesAtEnd: sizeAtEnd,
      bytesPerRow,
      doBytesPerTenant: round(workload.doBytesPerTenant),
    },
    d1WriteBenchmark: {
      writes: bench.writes,
      sequentialMsPerWrite: round(bench.sequentialMs / bench.writes),
      sqlMsPerWrite: round(bench.sqlMs / bench.writes),
      concurrency: bench.concurrency,
      concurrentWritesPerSecond: round(bench.writes / (bench.concurrentMs / 1000)),
    },
    crossCheck: options.provisional ? null : crossCheck,
  };
  return measurementsSchema.parse(measurements);
}
