/**
 * The measuring harness: the production bundle served by Miniflare's API with
 * the meter module in front of it (meter-worker.js), the Stripe emulator in a
 * process group of its own, and `measure()`, which runs a block of operations
 * of one kind and records what they used once everything they set off
 * (waitUntil work, queue messages, object calls) has finished.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readD1Migrations } from '@cloudflare/vitest-plugin';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { LEASE_METHODS } from '../../src/features/public-api/lease-methods.ts';
import { emptyUsage, type Usage } from './measurements.ts';
import { OFFLINE_WRANGLER_ENV } from '../lib/local.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
/** Build output and the run's local state: under dist/, which git and eslint ignore. */
const OUT_DIR = join(ROOT, 'dist', 'cost');
export const APP_URL = 'http://cost.local';
const WEBHOOK_SECRET = 'whsec_cost_harness';
const OFFLINE_ENV = { ...process.env, ...OFFLINE_WRANGLER_ENV };

/** What the meter module reports for the work since the last `take`. */
interface MeterUsage {
  invocations: { fetch: number; queue: number; scheduled: number };
  d1: { queries: number; roundTrips: number; rowsRead: number; rowsWritten: number; byTable: Usage['d1ByTable'] };
  doCalls: number;
  doRequests: number;
  doWallMs: number;
  doSqlRowsRead: number;
  doSqlRowsWritten: number;
  queueMessages: number;
  queueDeliveries: number;
  emails: number;
}

/**
 * The counters of a wide event's `usage`: the contract of the app's one
 * logger (one JSON line per request, queue message, cron run and object
 * call), which the observe work implements.
 */
export const WIDE_EVENT_FIELDS = ['d1Queries', 'd1RoundTrips', 'd1RowsRead', 'd1RowsWritten', 'doCalls', 'queueMessages', 'emails', 'stripeCalls'] as const;
/** The wide events' counters, and how many of their object calls were rate-limit leases. */
export type WideEventUsage = Record<(typeof WIDE_EVENT_FIELDS)[number], number> & { rateLimitLeases: number };
const WIDE_EVENT_MESSAGES = new Set(['request', 'queue.message', 'cron', 'do.call', 'background']);

export class MeteringMissing extends Error {}

/** Builds the production bundle exactly as `wrangler deploy` would, without deploying. */
export function buildBundle(): string {
  const outdir = join(OUT_DIR, 'dist');
  mkdirSync(outdir, { recursive: true });
  const result = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir, '--env', ''], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: OFFLINE_ENV,
  });
  if (result.status !== 0) throw new Error(`wrangler deploy --dry-run exited with ${result.status}`);
  return join(outdir, 'index.js');
}

// ---------------------------------------------------------------- the Stripe emulator, in its own process group

export interface Emulator {
  url: string;
  /** API requests (`/v1/…`) it has answered so far. */
  apiCalls(): number;
  control<T>(path: string, body?: unknown): Promise<T>;
  stop(): void;
}

export async function startEmulator(): Promise<Emulator> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'tools/stripe-emulator/cli.ts')], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...OFFLINE_ENV, STRIPE_EMULATOR_PORT: '0', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_WEBHOOK_URL: '' },
  });
  /** Its whole process group, and only that: also when this process ends early (an error, Ctrl-C). */
  const stop = () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGTERM');
  };
  process.once('exit', stop);
  let apiCalls = 0;
  let buffered = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Stripe emulator did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`the Stripe emulator exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (/^\[stripe-emulator\] [A-Z]+ \/v1\//.test(line)) apiCalls++;
        const listening = /listening on (http:\/\/\S+)/.exec(line);
        if (listening?.[1]) {
          clearTimeout(timer);
          resolve(listening[1]);
        }
      }
    });
  });
  return {
    url,
    apiCalls: () => apiCalls,
    async control<T>(path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${url}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`emulator ${path} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as T;
    },
    stop,
  };
}

// ---------------------------------------------------------------- CPU of the local workerd

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** User + system CPU of every workerd process this one started (Linux /proc); null elsewhere. */
function workerdCpuMs(): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return null;
  }
  const stats = new Map<number, { ppid: number; comm: string; ticks: number }>();
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      stats.set(Number(pid), { comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 10; hops++) {
      if (p === process.pid) return true;
      p = stats.get(p)?.ppid ?? 0;
    }
    return false;
  };
  let ticks = 0;
  let found = false;
  for (const [pid, s] of stats) {
    if (s.comm === 'workerd' && mine(pid)) {
      ticks += s.ticks;
      found = true;
    }
  }
  return found ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : null;
}

// ---------------------------------------------------------------- the app under Miniflare

export interface Answer {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

interface CallOptions {
  method?: string;
  token?: string;
  cookie?: string;
  json?: unknown;
  headers?: Record<string, string>;
  body?: string;
  expect?: number;
}

export interface App {
  call(path: string, options?: CallOptions): Promise<Answer>;
  harness<T>(path: string): Promise<T>;
  /** Marks every address confirmed, as following the emailed links would (production has no dev mailbox to read them from). */
  confirmEmails(): Promise<void>;
  scheduled(): Promise<void>;
  /** Wide events the Worker has logged so far. */
  wideEvents(): Record<string, unknown>[];
  stop(): Promise<void>;
}

function compatibility(): { compatibilityDate: string } {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error('wrangler.toml has no compatibility_date');
  return { compatibilityDate: date };
}

export const COMPATIBILITY_DATE = compatibility().compatibilityDate;

/** The bundle as deployed (wrangler.toml's top-level bindings), with the meter module as its entry. */
const STATE_DIR = join(OUT_DIR, 'state');

export async function startApp(bundlePath: string, emulator: Emulator): Promise<App> {
  rmSync(STATE_DIR, { recursive: true, force: true });
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, 'wrangler.toml'));
  const { rootPath: _rootPath, modulesRules: _modulesRules, bindings, d1Databases, ...fromConfig } = workerOptions as Record<string, unknown> & {
    bindings: Record<string, unknown>;
    d1Databases: Record<string, unknown>;
  };
  const events: Record<string, unknown>[] = [];
  const emulatorPort = new URL(emulator.url).port;
  const moduleDir = join(OUT_DIR, 'dist');
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      // On disk, so the D1 file can be read with SQLite's dbstat once the run is over.
      resourcePersistencePath: STATE_DIR,
      handleStructuredLogs: ({ message }) => {
        try {
          const line: unknown = JSON.parse(message);
          if (line && typeof line === 'object' && WIDE_EVENT_MESSAGES.has(String((line as { msg?: unknown }).msg))) events.push(line as Record<string, unknown>);
        } catch {
          // not a JSON line
        }
      },
      workers: [
        {
          ...fromConfig,
          name: 'app',
          modulesRoot: moduleDir,
          modules: [
            { type: 'ESModule', path: join(moduleDir, 'meter-worker.js'), contents: readFileSync(join(import.meta.dirname, 'meter-worker.js'), 'utf8') },
            { type: 'ESModule', path: join(moduleDir, 'index.js'), contents: readFileSync(bundlePath, 'utf8') },
          ],
          bindings: {
            ...bindings,
            APP_URL,
            // Production's code paths: real email sender (the meter's binding), no dev mailbox.
            ENVIRONMENT: 'production',
            JWT_SECRET: 'cost-harness-secret-0123456789abcdef0123456789abcdef',
            MFA_SEALING_KEY: 'cost-harness-mfa-sealing-key-0123456789abcdef',
            STRIPE_SECRET_KEY: 'sk_test_cost_harness',
            STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
            STRIPE_API_PORT: emulatorPort,
          },
          d1Databases: { ...d1Databases, COST_BENCH_DB: 'cost-write-bench' },
        },
      ],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  await mf.ready;
  const db = await mf.getD1Database('DB', 'app');
  for (const migration of await readD1Migrations(join(ROOT, 'migrations'))) {
    for (const query of migration.queries) await db.prepare(query).run();
  }
  const worker = await mf.getWorker('app');

  async function call(path: string, options: CallOptions = {}): Promise<Answer> {
    // Each customer from its own address: the per-client sign-up and sign-in limits are not what is measured.
    const headers: Record<string, string> = { 'cf-connecting-ip': `10.0.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`, ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.cookie) headers.cookie = options.cookie;
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const res = await mf.dispatchFetch(`${APP_URL}${path}`, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const answer: Answer = { status: res.status, body: parsed, text, headers: res.headers as unknown as Headers };
    if (options.expect !== undefined && res.status !== options.expect) {
      throw new Error(`${options.method ?? 'GET'} ${path} answered ${res.status}, expected ${options.expect}: ${text.slice(0, 300)}`);
    }
    return answer;
  }

  return {
    call,
    async harness<T>(path: string): Promise<T> {
      const answer = await call(`/__cost/${path}`, { expect: 200 });
      return answer.body as T;
    },
    async confirmEmails() {
      await db.prepare('UPDATE users SET email_verified_at = ? WHERE email_verified_at IS NULL').bind(Date.now()).run();
    },
    async scheduled() {
      const cron = (fromConfig.cronTriggers as string[] | undefined)?.[0] ?? '*/5 * * * *';
      const result = await (worker as unknown as { scheduled(o: { cron: string }): Promise<{ outcome: string }> }).scheduled({ cron });
      if (result.outcome !== 'ok') throw new Error(`the cron run ended with ${result.outcome}`);
    },
    wideEvents: () => events,
    stop: () => mf.dispose(),
  };
}

/**
 * Bytes per row of each table, its indexes included, from SQLite's dbstat on
 * the app's D1 file (Miniflare stopped): used bytes only (payload and cell
 * headers), not the free space of partly filled pages.
 */
export async function storageBytesPerRow(): Promise<Record<string, number>> {
  process.removeAllListeners('warning'); // node:sqlite's ExperimentalWarning
  const { DatabaseSync } = await import('node:sqlite');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.sqlite')) files.push(join(dir, entry.name));
    }
  };
  walk(STATE_DIR);
  for (const file of files) {
    const db = new DatabaseSync(file);
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'").all() as { name: string }[];
      if (!tables.some((t) => t.name === 'tenants')) continue;
      const used = db
        .prepare('SELECT m.tbl_name AS tbl, SUM(s.pgsize - s.unused) AS bytes FROM dbstat s JOIN sqlite_master m ON m.name = s.name GROUP BY m.tbl_name')
        .all() as { tbl: string; bytes: number }[];
      const perRow: Record<string, number> = {};
      for (const { name } of tables) {
        const rows = (db.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number }).n;
        const bytes = used.find((u) => u.tbl === name)?.bytes ?? 0;
        if (rows > 0) perRow[name] = Math.round(bytes / rows);
      }
      return perRow;
    } finally {
      db.close();
    }
  }
  throw new Error(`no D1 file with the app's tables under ${STATE_DIR}`);
}

// ---------------------------------------------------------------- measuring blocks of operations

/** One measured block: how many operations, how big each table was meanwhile, how many of its rows they read. */
export interface Block {
  samples: number;
  rowsHeld: Record<string, number>;
  rowsRead: Record<string, number>;
}

interface Totals {
  samples: number;
  description: string;
  usage: Usage;
  metered: WideEventUsage | null;
  blocks: Block[];
}

export interface Recorder {
  /** Runs `samples` operations of one kind, then waits for everything they set off, and adds what they used to the kind's totals. */
  measure(kind: string, description: string, samples: (() => Promise<void>)[]): Promise<void>;
  /** Like `measure`, for work whose count is known only afterwards (the Stripe events a flow produced). */
  measureCounted(kind: string, description: string, work: () => Promise<number>): Promise<void>;
  /** The same bookkeeping around any work, returned instead of added to a kind. */
  observe(work: () => Promise<void>): Promise<Usage>;
  totals(): Map<string, Totals>;
}

function addInto(total: Usage, part: Usage): void {
  for (const key of Object.keys(total) as (keyof Usage)[]) {
    if (key === 'd1RowsAdded') {
      for (const [t, n] of Object.entries(part.d1RowsAdded)) total.d1RowsAdded[t] = (total.d1RowsAdded[t] ?? 0) + n;
    } else if (key === 'd1ByTable') {
      for (const [t, u] of Object.entries(part.d1ByTable)) {
        const into = (total.d1ByTable[t] ??= { queries: 0, rowsRead: 0, rowsWritten: 0 });
        into.queries += u.queries;
        into.rowsRead += u.rowsRead;
        into.rowsWritten += u.rowsWritten;
      }
    } else if (key === 'cpuMs') {
      total.cpuMs = total.cpuMs === null || part.cpuMs === null ? null : total.cpuMs + part.cpuMs;
    } else {
      total[key] += part[key];
    }
  }
}

export function createRecorder(app: App, emulator: Emulator, options: { requireMetering: boolean }): Recorder {
  const kinds = new Map<string, Totals>();
  let eventsSeen = 0;

  async function quiet(): Promise<void> {
    const deadline = Date.now() + 60_000;
    let calm = 0;
    while (calm < 2) {
      if (Date.now() > deadline) throw new Error('the app did not settle within 60 s (work still in flight or queue messages undelivered)');
      await new Promise((r) => setTimeout(r, 40));
      const state = await app.harness<{ inFlight: number; undelivered: number; idleMs: number }>('quiet');
      calm = state.inFlight === 0 && state.undelivered <= 0 && state.idleMs >= 120 ? calm + 1 : 0;
    }
  }

  async function observeWithEvents(work: () => Promise<void>): Promise<{ usage: Usage; metered: WideEventUsage | null; rowsHeld: Record<string, number> }> {
    // Work between blocks (the workload's own checks) is measured by neither side: its events are skipped as its counters are taken.
    await quiet();
    eventsSeen = app.wideEvents().length;
    await app.harness('take');
    const rowsBefore = await app.harness<Record<string, number>>('table-rows');
    const stripeBefore = emulator.apiCalls();
    const cpuBefore = workerdCpuMs();
    await work();
    await quiet();
    const cpuAfter = workerdCpuMs();
    const meter = await app.harness<MeterUsage>('take');
    const rowsAfter = await app.harness<Record<string, number>>('table-rows');
    const d1RowsAdded: Record<string, number> = {};
    for (const [table, n] of Object.entries(rowsAfter)) {
      const added = n - (rowsBefore[table] ?? 0);
      if (added !== 0) d1RowsAdded[table] = added;
    }
    const usage: Usage = {
      requests: meter.invocations.fetch + meter.invocations.queue + meter.invocations.scheduled,
      cpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
      d1Queries: meter.d1.queries,
      d1RoundTrips: meter.d1.roundTrips,
      d1RowsRead: meter.d1.rowsRead,
      d1RowsWritten: meter.d1.rowsWritten,
      // Priced after the run from the rows added and each table's bytes per row (storageBytesPerRow).
      d1StorageBytes: 0,
      d1RowsAdded,
      d1ByTable: meter.d1.byTable,
      doCalls: meter.doCalls,
      // Told apart only by the wide events (applyMetering).
      rateLimitLeases: 0,
      doRequests: meter.doRequests,
      doWallMs: meter.doWallMs,
      doSqlRowsRead: meter.doSqlRowsRead,
      doSqlRowsWritten: meter.doSqlRowsWritten,
      queueMessages: meter.queueMessages,
      queueDeliveries: meter.queueDeliveries,
      emails: meter.emails,
      stripeCalls: emulator.apiCalls() - stripeBefore,
    };
    const events = app.wideEvents().slice(eventsSeen);
    eventsSeen += events.length;
    // Work that never entered the Worker (an object's alarm) may have no wide event: the harness's figures stand.
    const invoked = meter.invocations.fetch + meter.invocations.queue + meter.invocations.scheduled > 0;
    const rowsHeld = Object.fromEntries(Object.entries(rowsAfter).map(([table, n]) => [table, (n + (rowsBefore[table] ?? 0)) / 2]));
    return { usage, rowsHeld, metered: events.length === 0 && !invoked ? null : meteredUsage(events, options.requireMetering) };
  }

  /** Runs `work` (which says how many operations it performed) and adds what it used to the kind's totals. */
  async function add(kind: string, description: string, work: () => Promise<number>): Promise<void> {
    let count = 0;
    const { usage, metered, rowsHeld } = await observeWithEvents(async () => {
      count = await work();
    });
    if (count === 0) throw new Error(`${kind}: the work performed no operation to measure`);
    const totals = kinds.get(kind) ?? { samples: 0, description, usage: emptyUsage(), metered: metered && zeroWide(), blocks: [] };
    totals.samples += count;
    totals.blocks.push({ samples: count, rowsHeld, rowsRead: Object.fromEntries(Object.entries(usage.d1ByTable).map(([t, u]) => [t, u.rowsRead])) });
    addInto(totals.usage, usage);
    if (totals.metered && metered) {
      for (const f of WIDE_EVENT_FIELDS) totals.metered[f] += metered[f];
      totals.metered.rateLimitLeases += metered.rateLimitLeases;
    }
    kinds.set(kind, totals);
  }

  return {
    measure: (kind, description, samples) =>
      add(kind, description, async () => {
        for (const sample of samples) await sample();
        return samples.length;
      }),
    measureCounted: add,
    async observe(work) {
      return (await observeWithEvents(work)).usage;
    },
    totals: () => kinds,
  };
}

function zeroWide(): WideEventUsage {
  return { ...(Object.fromEntries(WIDE_EVENT_FIELDS.map((f) => [f, 0])) as Record<(typeof WIDE_EVENT_FIELDS)[number], number>), rateLimitLeases: 0 };
}

/**
 * The sum of the wide events' `usage` for one block. Without metering (no
 * `usage` on the Worker's log lines) it fails when metering is required, and
 * is null otherwise: the provisional method then stands alone.
 */
function meteredUsage(events: Record<string, unknown>[], required: boolean): WideEventUsage | null {
  const withUsage = events.filter((e) => e.usage && typeof e.usage === 'object');
  const missing = events.length === 0 || withUsage.length < events.length;
  if (missing) {
    if (!required) return null;
    const sample = events[0] ? JSON.stringify(events[0]).slice(0, 400) : '(no wide event at all)';
    throw new MeteringMissing(
      `metering fields missing: ${events.length - withUsage.length} of ${events.length} wide events the Worker logged carry no \`usage\` ` +
        `(the wide-event contract: one JSON line per unit of work, its \`usage\` holding ${WIDE_EVENT_FIELDS.join(', ')}). First line: ${sample}\n` +
        'Nothing was written. Until the app meters itself, `npm run cost -- --provisional` measures with the harness alone and labels the file provisional.',
    );
  }
  const total = zeroWide();
  total.rateLimitLeases = withUsage.filter((e) => e.msg === 'do.call' && typeof e.route === 'string' && LEASE_METHODS.includes(e.route)).length;
  for (const event of withUsage) {
    const usage = event.usage as Record<string, unknown>;
    for (const field of WIDE_EVENT_FIELDS) {
      const value = usage[field];
      if (typeof value !== 'number') throw new MeteringMissing(`metering field usage.${field} missing or not a number in: ${JSON.stringify(event).slice(0, 400)}`);
      total[field] += value;
    }
  }
  return total;
}
