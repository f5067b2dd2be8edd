/**
 * The benchmark itself, run by scripts/bench-api.ts in its own process group:
 * builds, starts, measures, prints, stops.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeJwt } from 'jose';
import type { Miniflare } from 'miniflare';
import { buildBundles, ROOT, type Bundle } from './build.ts';
import { ApiClient, createDataSet, MEMBERS, PROJECTS, stripeAt, type DataSet } from './dataset.ts';
import { seedTenants } from './growth.ts';
import { percentile, runLoad, type LoadResult, type RequestSpec } from './load.ts';
import { assertListening, cpuMs, hostBusyMs, onCleanup, runToExit, startProcess, workerdChildren } from './processes.ts';
import { signedEventRequest, webhookToLimits, type LimitsSample } from './webhooks.ts';
import { appVar, applyMigrations, BENCH_SECRETS, COMPATIBILITY, originOf, startWorkers, type WorkerSet } from './workers.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string' },
    duration: { type: 'string' },
    slice: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '50' },
    'latency-samples': { type: 'string' },
    'cold-starts': { type: 'string' },
    tenants: { type: 'string', default: '0' },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    // The app's API rate limits, which 50 closed-loop connections exceed in a second: see BENCH_RATE_LIMITS in
    // src/features/public-api/middleware.ts. `unrefused` (default) counts every request, as deployed, without refusing;
    // `off` skips the count, to measure what it costs.
    'rate-limits': { type: 'string', default: 'unrefused' },
  },
});

function numberOption(name: string, raw: string | undefined, fallback: number, { integer = true, zero = false } = {}): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!zero && value === 0) || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a ${integer ? 'whole ' : ''}number${zero ? ' ≥ 0' : ' > 0'}, got "${raw}"`);
  }
  return value;
}

const quick = args.quick;
const OPTIONS = {
  rounds: numberOption('rounds', args.rounds, quick ? 1 : 3),
  seconds: numberOption('duration', args.duration, quick ? 2 : 10, { integer: false }),
  sliceSeconds: numberOption('slice', args.slice, 1, { integer: false }),
  warmupSeconds: numberOption('warmup', args.warmup, quick ? 1 : 3, { integer: false, zero: true }),
  connections: numberOption('connections', args.connections, 50),
  latencySamples: numberOption('latency-samples', args['latency-samples'], quick ? 5 : 20),
  coldStarts: numberOption('cold-starts', args['cold-starts'], quick ? 1 : 3, { zero: true }),
  tenants: numberOption('tenants', args.tenants, 0, { zero: true }),
  rateLimits: rateLimitsOption(args['rate-limits']),
};

function rateLimitsOption(raw: string | undefined): 'unrefused' | 'off' {
  if (raw === 'unrefused' || raw === 'off') return raw;
  throw new Error(`--rate-limits must be unrefused or off, got "${raw}"`);
}

/** The throughput rows, in the order each round runs them. */
const ROWS = [
  { id: 'hello', label: 'Hono hello (comparator)' },
  { id: 'one-query', label: 'Hono + 1 D1 query (comparator)' },
  // A route's floor: that route's own D1 statements alone, in a bare Worker (comparator-worker.ts, `/floor/:route`).
  { id: 'me-floor', label: 'floor of GET /api/me (its D1 only)' },
  { id: 'members-floor', label: 'floor of members (its D1 only)' },
  { id: 'me', label: 'GET /api/me' },
  { id: 'members', label: 'GET /api/t/:tenant/members' },
  { id: 'projects', label: 'GET /api/t/:tenant/projects' },
  { id: 'project-create', label: 'POST /api/t/:tenant/projects' },
  { id: 'invitation-create', label: 'POST /api/t/:tenant/invitations' },
  { id: 'webhook-ingest', label: 'POST /webhooks/stripe (ingest)' },
] as const;
type RowId = (typeof ROWS)[number]['id'];
/**
 * The rows whose shares are compared (the comparator, the targets' routes and
 * their floors, the other list): measured interleaved, turn by turn
 * (load.ts), so other load on the host falls on all of them alike.
 */
const COMPARED: RowId[] = ['one-query', 'me-floor', 'members-floor', 'me', 'members', 'projects'];
/** Each round's measurements, in order: the compared rows together, every other row alone. */
const GROUPS: RowId[][] = ROWS.flatMap(({ id }): RowId[][] => {
  if (!COMPARED.includes(id)) return [[id]];
  // The compared rows run together, where the first of them stands in ROWS.
  return id === COMPARED[0] ? [COMPARED] : [];
});
/** The rows measured again after `--tenants N` grew the tables. */
const TENANT_READS: RowId[] = ['one-query', 'me', 'members', 'projects'];
const LATENCY_LABEL = 'webhook → limits applied';

/** The comparator every share is taken of: the app's physical floor is one D1 round trip. */
const BASELINE: RowId = 'one-query';
const TARGETS = [
  { row: 'members' as RowId, share: 0.8, floor: 'members-floor' as RowId },
  { row: 'me' as RowId, share: 0.9, floor: 'me-floor' as RowId },
];
const WEBHOOK_P50_TARGET_MS = 1000;

type RowResult = LoadResult & {
  /** req/s ÷ the one-query comparator's req/s in the same pass: what the targets are written in. */
  share: number;
  /** The comparator's CPU ms/req ÷ this row's: the share workerd would reach with a core to itself. */
  cpuShare: number;
};

function withShares(results: Partial<Record<RowId, LoadResult>>): Record<string, RowResult> {
  const baseline = results[BASELINE];
  return Object.fromEntries(
    Object.entries(results).map(([id, result]) => [
      id,
      {
        ...result,
        share: result.perSecond / (baseline?.perSecond ?? Number.NaN),
        cpuShare: (baseline?.serverCpuMsPerRequest ?? Number.NaN) / result.serverCpuMsPerRequest,
      },
    ]),
  );
}
interface Round {
  loadAverage: number[];
  rows: Record<string, RowResult>;
  /** Seconds from the end of the ingest row until the consumer had processed every ingested event. */
  ingestDrainSeconds: number;
  webhookToLimits: LimitsSample[];
}

interface Context {
  mf: Miniflare;
  app: string;
  comparator: string;
  emulator: string;
  data: DataSet;
  workerd: number[];
  emulatorPid: number;
}

function requestFor(row: RowId, ctx: Context): { origin: string; status: number; request: () => RequestSpec | Promise<RequestSpec> } {
  const auth = { authorization: `Bearer ${ctx.data.token}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const get = (origin: string, path: string, headers: Record<string, string> = auth) => ({ origin, status: 200, request: () => ({ method: 'GET' as const, path, headers }) });
  switch (row) {
    case 'hello':
      return get(ctx.comparator, '/hello', {});
    case 'one-query':
      return get(ctx.comparator, `/one-query?id=${ctx.data.ownerId}`, {});
    case 'me-floor':
    case 'members-floor':
      return get(ctx.comparator, `/floor/${row.replace(/-floor$/, '')}?${floorParameters(ctx.data)}`, {});
    case 'me':
      return get(ctx.app, '/api/me');
    case 'members':
      return get(ctx.app, `/api/t/${ctx.data.reads}/members`);
    case 'projects':
      return get(ctx.app, `/api/t/${ctx.data.reads}/projects`);
    case 'project-create':
      return {
        origin: ctx.app,
        status: 201,
        request: () => ({ method: 'POST', path: `/api/t/${ctx.data.writes}/projects`, headers: json, body: JSON.stringify({ name: `Bench project ${next('project')}` }) }),
      };
    case 'invitation-create':
      return {
        origin: ctx.app,
        status: 201,
        request: () => ({
          method: 'POST',
          path: `/api/t/${ctx.data.writes}/invitations`,
          headers: json,
          body: JSON.stringify({ email: `invitee-${next('invitation')}@bench.test`, role: 'member' }),
        }),
      };
    case 'webhook-ingest':
      return { origin: ctx.app, status: 200, request: () => signedEventRequest(ctx.data.writesCustomer, `evt_bench_${next('event')}`) };
  }
}

/** What the floor Worker fills the app's statements with: the owner's session, the owner, the reads tenant. */
function floorParameters(data: DataSet): string {
  // The session id is the token's `sid` claim; the floor runs the same session lookup the app does.
  const { sid } = decodeJwt(data.token);
  if (typeof sid !== 'string') throw new Error('the bench token names no session');
  return new URLSearchParams({ sessionId: sid, userId: data.ownerId, slug: data.reads }).toString();
}

/** A counter per kind of request body, so every project name, invitation email and event id of a run is new. */
const counters = new Map<string, number>();
function next(kind: string): number {
  const value = (counters.get(kind) ?? 0) + 1;
  counters.set(kind, value);
  return value;
}

/** Measures `rows` together (interleaved in turns of `--slice` seconds when there are several); a failed request fails the run. */
async function measure(rows: readonly RowId[], ctx: Context): Promise<Partial<Record<RowId, LoadResult>>> {
  const results = await runLoad({
    targets: Object.fromEntries(rows.map((row) => [row, requestFor(row, ctx)])),
    connections: OPTIONS.connections,
    warmupSeconds: OPTIONS.warmupSeconds,
    seconds: OPTIONS.seconds,
    sliceSeconds: rows.length > 1 ? OPTIONS.sliceSeconds : OPTIONS.seconds,
    serverCpuMs: () => cpuMs(ctx.workerd),
    // The emulator is ours too: what is left is other people's load on the host.
    hostCpuMs: () => hostBusyMs() - cpuMs([ctx.emulatorPid]),
  });
  for (const [row, result] of Object.entries(results)) {
    if (result.failures > 0) throw new Error(`${row}: ${result.failures} request(s) failed; the first: ${result.firstFailure}`);
  }
  return results;
}

/** Waits until the queue consumer has processed every stored Stripe event; resolves with the seconds it took. */
async function drainStripeEvents(mf: Miniflare): Promise<number> {
  const db = await mf.getD1Database('DB', 'app');
  const pending = db.prepare('SELECT id, attempts, last_error FROM stripe_events WHERE processed_at IS NULL AND dead_at IS NULL LIMIT 3');
  const started = performance.now();
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { results } = await pending.all();
    if (results.length === 0) return (performance.now() - started) / 1000;
    if (Date.now() > deadline) throw new Error(`the stripe-events consumer did not catch up within 5 minutes; still pending: ${JSON.stringify(results)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const thousands = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const percent = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : '—');
const median = (values: number[]) => percentile(Float64Array.from(values).sort(), 0.5);

const HEADER = `${'row'.padEnd(34)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'CPU ms/req'.padStart(11)} ${'gen ms/req'.padStart(11)} ${'share'.padStart(6)} ${'by CPU'.padStart(7)} ${'others'.padStart(7)}`;
type Figures = Pick<RowResult, 'perSecond' | 'p50Ms' | 'p99Ms' | 'serverCpuMsPerRequest' | 'clientCpuMsPerRequest' | 'share' | 'cpuShare' | 'otherCores'>;
function line(label: string, r: Figures): string {
  return [
    label.padEnd(34),
    thousands(r.perSecond).padStart(7),
    fixed(r.p50Ms, 1).padStart(8),
    fixed(r.p99Ms, 1).padStart(8),
    fixed(r.serverCpuMsPerRequest, 2).padStart(11),
    fixed(r.clientCpuMsPerRequest, 2).padStart(11),
    percent(r.share).padStart(6),
    percent(r.cpuShare).padStart(7),
    fixed(r.otherCores, 2).padStart(7),
  ].join(' ');
}

async function runRound(ctx: Context, index: number): Promise<Round> {
  const loadAverage = loadavg().map((n) => Number(n.toFixed(2)));
  console.log(`\nround ${index}/${OPTIONS.rounds} (load average ${loadAverage.join(' ')})`);
  console.log(HEADER);
  const results: Partial<Record<RowId, LoadResult>> = {};
  let ingestDrainSeconds = Number.NaN;
  for (const group of GROUPS) {
    Object.assign(results, await measure(group, ctx));
    for (const id of group) {
      const result = results[id];
      if (result) console.log(line(ROWS.find((r) => r.id === id)?.label ?? id, { ...result, share: Number.NaN, cpuShare: Number.NaN }));
    }
    if (group.includes('webhook-ingest')) ingestDrainSeconds = await drainStripeEvents(ctx.mf);
  }
  const rows = withShares(results);
  console.log(`shares of the one-query comparator (by CPU): ${ROWS.map(({ id }) => `${id} ${percent(rows[id]?.share ?? Number.NaN)} (${percent(rows[id]?.cpuShare ?? Number.NaN)})`).join(', ')}`);
  const stripe = stripeAt(Number(new URL(ctx.emulator).port));
  const api = new ApiClient(ctx.app);
  const samples: LimitsSample[] = [];
  for (let i = 0; i < OPTIONS.latencySamples; i++) {
    // Alternately one seat more and back, so every sample is a change.
    const seats = ctx.data.billing.seats + (next('seat-change') % 2);
    samples.push(await webhookToLimits(api, stripe, ctx.emulator, ctx.data, seats));
  }
  const sorted = Float64Array.from(samples.map((s) => s.webhookToLimitsMs)).sort();
  console.log(
    `${LATENCY_LABEL.padEnd(34)} p50 ${fixed(percentile(sorted, 0.5), 0)} ms, p99 ${fixed(percentile(sorted, 0.99), 0)} ms over ${samples.length} seat changes` +
      ` (from the Stripe call: p50 ${fixed(median(samples.map((s) => s.changeToLimitsMs)), 0)} ms); ingest queue drained ${fixed(ingestDrainSeconds, 1)} s after the last request`,
  );
  return { loadAverage, rows, ingestDrainSeconds, webhookToLimits: samples };
}

interface ColdStart {
  /** Wall time from starting workerd to the first answer. */
  totalMs: number;
  /** workerd's CPU time over the same span: unlike wall time, other load on the host barely moves it. */
  cpuMs: number;
  /** The first request alone, once workerd said it was ready. */
  firstRequestMs: number;
}

/** A new workerd with only this Worker (run before any other of ours exists) → the first answer to `path`. */
async function coldStart(set: WorkerSet, worker: 'app' | 'comparator', path: string): Promise<ColdStart> {
  const started = performance.now();
  const mf = startWorkers(set);
  const dispose = onCleanup(() => mf.dispose());
  try {
    await mf.ready;
    const origin = await originOf(mf, worker);
    const requested = performance.now();
    const res = await fetch(`${origin}${path}`);
    await res.text();
    const answered = performance.now();
    if (!res.ok) throw new Error(`cold start: ${worker} ${path} answered ${res.status}`);
    return { totalMs: answered - started, cpuMs: cpuMs(workerdChildren()), firstRequestMs: answered - requested };
  } finally {
    await dispose();
  }
}

/** Run before anything else of ours, so each workerd is alone. The Stripe port is unused here. */
async function measureColdStarts(bundles: { app: Bundle; comparator: Bundle }): Promise<Record<'app' | 'hello', ColdStart>> {
  const cold: Record<'app' | 'hello', ColdStart[]> = { app: [], hello: [] };
  for (let i = 0; i < OPTIONS.coldStarts; i++) {
    cold.app.push(await coldStart({ app: { scriptPath: bundles.app.path, stripePort: 1 } }, 'app', '/healthz'));
    cold.hello.push(await coldStart({ comparator: { scriptPath: bundles.comparator.path } }, 'comparator', '/hello'));
  }
  const medians = Object.fromEntries(
    Object.entries(cold).map(([worker, runs]) => [
      worker,
      { totalMs: median(runs.map((c) => c.totalMs)), cpuMs: median(runs.map((c) => c.cpuMs)), firstRequestMs: median(runs.map((c) => c.firstRequestMs)) },
    ]),
  ) as Record<'app' | 'hello', ColdStart>;
  const { app, hello } = medians;
  console.log(
    `cold start (new workerd → first answer, median of ${OPTIONS.coldStarts}): app ${fixed(app.totalMs, 0)} ms (workerd CPU ${fixed(app.cpuMs, 0)} ms, ` +
      `first request ${fixed(app.firstRequestMs, 1)} ms); Hono hello ${fixed(hello.totalMs, 0)} ms (CPU ${fixed(hello.cpuMs, 0)} ms, ` +
      `first request ${fixed(hello.firstRequestMs, 1)} ms)`,
  );
  return medians;
}

function summarise(rounds: Round[]) {
  const rows: Record<string, RowResult> = {};
  for (const { id } of ROWS) {
    const of = (field: keyof RowResult) => median(rounds.map((round) => round.rows[id]?.[field] ?? Number.NaN) as number[]);
    rows[id] = {
      requests: rounds.reduce((n, round) => n + (round.rows[id]?.requests ?? 0), 0),
      seconds: rounds.reduce((n, round) => n + (round.rows[id]?.seconds ?? 0), 0),
      perSecond: of('perSecond'),
      p50Ms: of('p50Ms'),
      p99Ms: of('p99Ms'),
      serverCpuMsPerRequest: of('serverCpuMsPerRequest'),
      clientCpuMsPerRequest: of('clientCpuMsPerRequest'),
      share: of('share'),
      cpuShare: of('cpuShare'),
      otherCores: of('otherCores'),
      failures: 0,
    };
  }
  const latencies = Float64Array.from(rounds.flatMap((round) => round.webhookToLimits.map((s) => s.webhookToLimitsMs))).sort();
  const webhookToLimits = { samples: latencies.length, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
  const targets = [
    ...TARGETS.map(({ row, share, floor }) => ({
      target: `${ROWS.find((r) => r.id === row)?.label} ≥ ${share * 100}% of the one-query comparator`,
      measured: `${percent(rows[row]?.share ?? Number.NaN)} (by CPU ${percent(rows[row]?.cpuShare ?? Number.NaN)})`,
      // The route's own D1 work alone reaches this much: a target above it cannot be met by anything the app does besides.
      floor: `${percent(rows[floor]?.share ?? Number.NaN)} (by CPU ${percent(rows[floor]?.cpuShare ?? Number.NaN)})`,
      ofFloor: percent((rows[row]?.share ?? Number.NaN) / (rows[floor]?.share ?? Number.NaN)),
      met: (rows[row]?.share ?? 0) >= share,
    })),
    { target: `${LATENCY_LABEL} p50 ≤ ${WEBHOOK_P50_TARGET_MS} ms`, measured: `${fixed(webhookToLimits.p50Ms, 0)} ms`, met: webhookToLimits.p50Ms <= WEBHOOK_P50_TARGET_MS },
  ];
  return { rows, webhookToLimits, targets };
}

/** Every figure the run must have produced; a missing one is a broken benchmark, not a slow app. */
function missingFigures(summary: ReturnType<typeof summarise>, coldStarts: number[] | undefined, bundle: Bundle): string[] {
  const missing: string[] = [];
  for (const [id, r] of Object.entries(summary.rows)) {
    for (const field of ['perSecond', 'p50Ms', 'p99Ms', 'serverCpuMsPerRequest', 'share', 'cpuShare'] as const) {
      if (!Number.isFinite(r[field]) || r[field] < 0) missing.push(`${id}.${field}`);
    }
  }
  if (!Number.isFinite(summary.webhookToLimits.p50Ms)) missing.push('webhookToLimits');
  if (coldStarts && !coldStarts.every((ms) => Number.isFinite(ms) && ms > 0)) missing.push('coldStart');
  if (!(bundle.bytes > 0 && bundle.gzipBytes > 0)) missing.push('bundle');
  return missing;
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log(
    `npm run bench — ${OPTIONS.rounds} round(s) of ${OPTIONS.seconds} s per row after ${OPTIONS.warmupSeconds} s warm-up, ${OPTIONS.connections} connections ` +
      `(${COMPARED.join(', ')} interleaved in turns of ${OPTIONS.sliceSeconds} s), API rate limits ${OPTIONS.rateLimits === 'off' ? 'off (not counted)' : 'counted, never refused'}`,
  );
  console.log(`host: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);

  const outDir = mkdtempSync(join(tmpdir(), 'saas-slice-bench-'));
  onCleanup(() => rmSync(outDir, { recursive: true, force: true }));
  const bundles = await buildBundles(outDir, COMPATIBILITY);
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  console.log(`bundle: ${kib(bundles.app.bytes)} raw, ${kib(bundles.app.gzipBytes)} gzip (the comparator: ${kib(bundles.comparator.bytes)}, ${kib(bundles.comparator.gzipBytes)})`);

  const coldStartMs = OPTIONS.coldStarts > 0 ? await measureColdStarts(bundles) : undefined;
  if (!coldStartMs) console.log('cold start: not measured (--cold-starts 0)');

  const emulatorProcess = await startProcess(
    'the Stripe emulator',
    process.execPath,
    [join(ROOT, 'tools/stripe-emulator/cli.ts')],
    {
      ...process.env,
      STRIPE_EMULATOR_PORT: '0',
      STRIPE_WEBHOOK_SECRET: BENCH_SECRETS.STRIPE_WEBHOOK_SECRET,
      STRIPE_PRICE_PRO: appVar('STRIPE_PRICE_PRO'),
      STRIPE_PRICE_ENTERPRISE: appVar('STRIPE_PRICE_ENTERPRISE'),
      STRIPE_EMULATOR_QUIET: '1',
    },
    /listening on (http:\/\/127\.0\.0\.1:(\d+))/,
  );
  const emulator = emulatorProcess.match[1] as string;
  const stripePort = Number(emulatorProcess.match[2]);

  const mf = startWorkers({ app: { scriptPath: bundles.app.path, stripePort, rateLimits: OPTIONS.rateLimits }, comparator: { scriptPath: bundles.comparator.path } });
  onCleanup(() => mf.dispose());
  await mf.ready;
  const app = await originOf(mf, 'app');
  const comparator = await originOf(mf, 'comparator');
  const ports = { 'the Stripe emulator': stripePort, 'the app': Number(new URL(app).port), 'the comparator Worker': Number(new URL(comparator).port) };
  await assertListening(ports);
  const workerd = workerdChildren();
  if (workerd.length === 0) throw new Error('found no workerd process to read CPU time from');
  console.log(
    `processes: group ${process.pid}, workerd ${workerd.join(' ')} (app ${app}, comparators ${comparator}), Stripe emulator ${emulatorProcess.child.pid} (${emulator})`,
  );

  await applyMigrations(mf);
  const hooked = await fetch(`${emulator}/_emulator/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `${app}/webhooks/stripe` }) });
  if (!hooked.ok) throw new Error(`pointing the emulator's webhooks at the app answered ${hooked.status}`);

  const setupStarted = performance.now();
  const data = await createDataSet(new ApiClient(app), emulator, stripeAt(stripePort));
  console.log(`data set (through the API, ${fixed((performance.now() - setupStarted) / 1000, 1)} s): ${MEMBERS} members and ${PROJECTS} projects in "${data.reads}"; writes go to "${data.writes}" (enterprise)`);

  console.log(
    `\ncolumns: CPU ms/req = workerd's CPU time per request (locally D1 and the Durable Object run inside workerd); gen = the load generator's (this process); ` +
      `share = req/s ÷ the one-query comparator's in the same round; by CPU = the comparator's CPU ms/req ÷ the row's; ` +
      `others = cores other processes on the host kept busy meanwhile (of ${cpu.length})`,
  );
  const ctx: Context = { mf, app, comparator, emulator, data, workerd, emulatorPid: emulatorProcess.child.pid as number };
  const rounds: Round[] = [];
  for (let i = 1; i <= OPTIONS.rounds; i++) rounds.push(await runRound(ctx, i));
  const summary = summarise(rounds);

  let growth: { tenants: number; tableRows: Record<string, number>; rows: Record<string, RowResult> } | undefined;
  if (OPTIONS.tenants > 0) {
    console.log(`\nseeding ${OPTIONS.tenants.toLocaleString('en-US')} tenants straight into D1…`);
    const tableRows = await seedTenants(mf, OPTIONS.tenants, (done) => console.log(`  ${done.toLocaleString('en-US')} tenants`));
    console.log(`tables now: ${Object.entries(tableRows).map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ')}`);
    console.log(HEADER);
    const rows = withShares(await measure(TENANT_READS, ctx));
    for (const id of TENANT_READS) {
      const after = rows[id] as RowResult;
      const before = summary.rows[id] as RowResult;
      console.log(`${line(ROWS.find((r) => r.id === id)?.label ?? id, after)}   req/s ${percent(after.perSecond / before.perSecond - 1)}, p50 ${percent(after.p50Ms / before.p50Ms - 1)} vs before`);
    }
    growth = { tenants: OPTIONS.tenants, tableRows, rows };
  }

  console.log(`\nsummary (median of ${rounds.length} round(s); share = req/s ÷ the one-query comparator's in the same round)`);
  console.log(HEADER);
  for (const { id, label } of ROWS) console.log(line(label, summary.rows[id] as RowResult));
  console.log(`${LATENCY_LABEL.padEnd(34)} ${'—'.padStart(7)} ${fixed(summary.webhookToLimits.p50Ms, 0).padStart(8)} ${fixed(summary.webhookToLimits.p99Ms, 0).padStart(8)}   (${summary.webhookToLimits.samples} samples)`);
  console.log('\ntargets:');
  for (const t of summary.targets) console.log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.target}: ${t.measured}${'floor' in t ? `; its floor (the route's D1 work alone) ${t.floor}, the route at ${t.ofFloor} of it` : ''}`);

  const missing = missingFigures(summary, coldStartMs && Object.values(coldStartMs).flatMap((c) => [c.totalMs, c.cpuMs, c.firstRequestMs]), bundles.app);
  const result = {
    date: new Date().toISOString(),
    host: { cpus: cpu.length, model: cpu[0]?.model, node: process.version, loadAverageAtEnd: loadavg() },
    options: OPTIONS,
    bundle: { bytes: bundles.app.bytes, gzipBytes: bundles.app.gzipBytes },
    coldStartMs,
    rounds,
    summary,
    growth,
    processes: { group: process.pid, workerd, emulator: emulatorProcess.child.pid, ports },
    missing,
  };
  if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 2));
  if (missing.length > 0) throw new Error(`figures missing: ${missing.join(', ')}`);
}

await runToExit(main);
