/**
 * `npm run bench:seats`: hammers one tenant's TenantDO with concurrent seat
 * reservations and checks that none is over-allocated. A benchmark, not a test.
 *
 * The production bundle (`wrangler deploy --dry-run`) runs in Miniflare's API,
 * without the `wrangler dev` proxy, with a local D1 and the SQLite-backed
 * object. Nothing is added to the app for the benchmark; the callers are:
 *
 * - `node`: stubs from Miniflare's `getDurableObjectNamespace`, each call
 *   travelling Node → Miniflare's proxy → workerd → the object (the proxy hop
 *   costs ~3 ms a call here and dominates);
 * - `worker`: a driver Worker defined below, beside the app in the same
 *   workerd, calling the object over RPC as the app's own code does. workerd's
 *   clock advances only on I/O, in whole milliseconds: its latencies are
 *   integers.
 *
 * Options: --reservations N (2000) --concurrency N (50) --limit N (1000)
 *          --rounds N (3) --via node|worker|both (both) --no-build (reuse dist/index.js)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readD1Migrations } from '@cloudflare/vitest-plugin';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import type { ReserveOptions, SeatResult, SeatUsage } from '../src/features/seats/model.ts';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

const { values: options } = parseArgs({
  options: {
    reservations: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '50' },
    limit: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    via: { type: 'string', default: 'both' },
    'no-build': { type: 'boolean', default: false },
  },
});
const RESERVATIONS = Number(options.reservations);
const CONCURRENCY = Number(options.concurrency);
const LIMIT = Number(options.limit);
const ROUNDS = Number(options.rounds);
const VIAS = (options.via === 'both' ? ['node', 'worker'] : [options.via]) as Via[];
if (!VIAS.every((via) => via === 'node' || via === 'worker')) throw new Error('--via is node, worker or both');
type Via = 'node' | 'worker';

/**
 * The in-workerd helper: applies the migrations and seeds tenants (bound to
 * the app's D1 database), and runs the `worker` burst: `concurrency` loops
 * sharing one counter, each with its own stub as each request of the app
 * would have, timing every call.
 */
const DRIVER = `
async function burst(env, { tenantId, reservations, concurrency, expiresAt, prefix }) {
  const id = env.TENANT_DO.idFromName(tenantId);
  const latencies = new Array(reservations);
  let next = 0, accepted = 0, refused = 0, failed = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    const stub = env.TENANT_DO.get(id);
    for (let i = next++; i < reservations; i = next++) {
      const t0 = performance.now();
      try {
        const result = await stub.reserveSeat(tenantId, prefix + i, { expiresAt });
        if (result.ok) accepted++; else refused++;
      } catch {
        failed++;
      }
      latencies[i] = performance.now() - t0;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, latencies, accepted, refused, failed };
}

async function seed(env, { tenantId, limit }) {
  const ownerId = 'usr_' + tenantId;
  // Enterprise takes its seat count from the subscription: the object reads it through entitlementFor.
  await env.DB.batch([
    env.DB.prepare('INSERT INTO users (id, email, name, password_hash) VALUES (?, ?, ?, ?)').bind(ownerId, ownerId + '@bench.test', 'Owner', 'unused'),
    env.DB.prepare('INSERT INTO tenants (id, slug, name) VALUES (?, ?, ?)').bind(tenantId, tenantId, 'Bench'),
    env.DB.prepare("INSERT INTO memberships (tenant_id, user_id, role) VALUES (?, ?, 'owner')").bind(tenantId, ownerId),
    env.DB.prepare("INSERT INTO subscriptions (tenant_id, plan, status, seat_limit_override) VALUES (?, 'enterprise', 'active', ?)").bind(tenantId, limit),
  ]);
  return {};
}

async function migrate(env, { queries }) {
  for (const query of queries) await env.DB.prepare(query).run();
  return {};
}

const OPS = { burst, seed, migrate };

export default {
  async fetch(request, env) {
    const { op, ...input } = await request.json();
    return Response.json(await OPS[op](env, input));
  },
};
`;

interface Burst {
  seconds: number;
  latencies: ArrayLike<number>;
  accepted: number;
  refused: number;
  failed: number;
}

/** The object's RPC surface as seen from Node through Miniflare's proxy. */
interface SeatStub {
  reserveSeat(tenantId: string, holder: string, opts?: ReserveOptions): Promise<SeatResult>;
  usage(tenantId: string): Promise<SeatUsage>;
}
interface Namespace {
  idFromName(name: string): unknown;
  get(id: unknown): SeatStub;
}

/** Miniflare's proxy hands out RPC stubs and results that hold a reference in workerd until disposed. */
function dispose(value: unknown): void {
  (value as Partial<Disposable> | null)?.[Symbol.dispose]?.();
}

interface RoundResult {
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  coldFirstCallMs: number;
  accepted: number;
  refused: number;
  failed: number;
  expectedAccepted: number;
  finalUsed: number;
  overAllocated: number;
  ledgerMismatch: number;
}

function build(): void {
  if (options['no-build'] && existsSync(join(DIST, 'index.js'))) return;
  const result = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', 'dist', '--env', ''], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_UPDATE_NOTIFIER: '1' },
  });
  if (result.status !== 0) throw new Error(`wrangler deploy --dry-run exited with ${result.status}`);
}

/** The top-level compatibility settings of wrangler.toml, so the bundle runs as deployed. */
function compatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date) throw new Error('wrangler.toml has no compatibility_date');
  return { compatibilityDate: date, compatibilityFlags: [...(flags ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1] as string) };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

const drivers = new WeakMap<Miniflare, Awaited<ReturnType<Miniflare['getWorker']>>>();

async function drive<T>(mf: Miniflare, op: 'burst' | 'seed' | 'migrate', input: Record<string, unknown>): Promise<T> {
  let driver = drivers.get(mf);
  if (!driver) drivers.set(mf, (driver = await mf.getWorker('driver')));
  const res = await driver.fetch('http://driver/', { method: 'POST', body: JSON.stringify({ op, ...input }) });
  if (!res.ok) throw new Error(`driver ${op} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function burstFromNode(namespace: Namespace, tenantId: string, prefix: string, expiresAt: number): Promise<Burst> {
  const id = namespace.idFromName(tenantId);
  const latencies = new Float64Array(RESERVATIONS);
  let next = 0;
  let accepted = 0;
  let refused = 0;
  let failed = 0;
  // Each caller has its own stub, as each request of the app would.
  async function caller(): Promise<void> {
    const stub = namespace.get(id);
    for (let i = next++; i < RESERVATIONS; i = next++) {
      const started = performance.now();
      try {
        const result = await stub.reserveSeat(tenantId, `${prefix}${i}`, { expiresAt });
        if (result.ok) accepted++;
        else refused++;
        dispose(result);
      } catch {
        failed++;
      }
      latencies[i] = performance.now() - started;
    }
    dispose(stub);
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, caller));
  const seconds = (performance.now() - started) / 1000;
  dispose(id);
  return { seconds, latencies, accepted, refused, failed };
}

async function round(mf: Miniflare, via: Via, index: number): Promise<RoundResult> {
  const tenantId = `ten_bench_${via}_${index}`;
  await drive(mf, 'seed', { tenantId, limit: LIMIT });
  const namespace = (await mf.getDurableObjectNamespace('TENANT_DO', 'app')) as unknown as Namespace;
  const id = namespace.idFromName(tenantId);
  const probe = namespace.get(id);

  // The first call initialises the object from D1; timed apart from the burst.
  const coldStart = performance.now();
  const initial = await probe.usage(tenantId);
  const coldFirstCallMs = performance.now() - coldStart;
  if (initial.limit !== LIMIT) throw new Error(`expected a limit of ${LIMIT}, the object says ${initial.limit}`);

  const expiresAt = Date.now() + 7 * 24 * 60 * 60 * 1000;
  const prefix = `invitation:bench-${via}-${index}-`;
  const burst =
    via === 'node'
      ? await burstFromNode(namespace, tenantId, prefix, expiresAt)
      : await drive<Burst>(mf, 'burst', { tenantId, reservations: RESERVATIONS, concurrency: CONCURRENCY, expiresAt, prefix });

  const final = await probe.usage(tenantId);
  const sorted = Float64Array.from(burst.latencies).sort();
  const result: RoundResult = {
    seconds: burst.seconds,
    perSecond: RESERVATIONS / burst.seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] as number,
    coldFirstCallMs,
    accepted: burst.accepted,
    refused: burst.refused,
    failed: burst.failed,
    expectedAccepted: Math.max(0, LIMIT - initial.used),
    finalUsed: final.used,
    overAllocated: Math.max(0, final.used - LIMIT),
    ledgerMismatch: final.used - (initial.used + burst.accepted),
  };
  for (const value of [initial, final, probe, id, namespace]) dispose(value);
  return result;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function main(): Promise<void> {
  build();
  const compat = compatibility();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [
        {
          name: 'app',
          modules: true,
          scriptPath: join(DIST, 'index.js'),
          ...compat,
          bindings: { APP_URL: 'http://127.0.0.1', ENVIRONMENT: 'bench', JWT_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef' },
          d1Databases: { DB: 'bench' },
          durableObjects: { TENANT_DO: { className: 'TenantDO', useSQLite: true } },
        },
        {
          name: 'driver',
          modules: true,
          script: DRIVER,
          ...compat,
          d1Databases: { DB: 'bench' },
          durableObjects: { TENANT_DO: { className: 'TenantDO', scriptName: 'app', useSQLite: true } },
        },
      ],
    }),
  );
  try {
    await mf.ready;
    for (const migration of await readD1Migrations(join(ROOT, 'migrations'))) {
      await drive(mf, 'migrate', { queries: migration.queries });
    }

    const cpu = cpus();
    console.log(`bench:seats — ${RESERVATIONS} reservations, ${CONCURRENCY} concurrent callers, one tenant, limit ${LIMIT}`);
    console.log(`host: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}, Miniflare + workerd, production bundle\n`);
    console.log('via     round  res/s   p50 ms  p99 ms  max ms  cold ms  accepted  refused  failed  final used  over-allocated');
    const results: (RoundResult & { via: Via })[] = [];
    for (const via of VIAS) {
      for (let i = 1; i <= ROUNDS; i++) {
        const r = { via, ...(await round(mf, via, i)) };
        results.push(r);
        console.log(
          [
            via.padEnd(7),
            String(i).padEnd(5),
            fmt(r.perSecond, 0).padStart(6),
            fmt(r.p50).padStart(8),
            fmt(r.p99).padStart(7),
            fmt(r.max).padStart(7),
            fmt(r.coldFirstCallMs).padStart(8),
            String(r.accepted).padStart(9),
            String(r.refused).padStart(8),
            String(r.failed).padStart(7),
            String(r.finalUsed).padStart(11),
            String(r.overAllocated).padStart(15),
          ].join(' '),
        );
      }
    }

    const bad = results.filter((r) => r.overAllocated !== 0 || r.ledgerMismatch !== 0 || r.accepted !== r.expectedAccepted || r.failed !== 0);
    console.log(
      `\nover-allocation: ${results.reduce((n, r) => n + r.overAllocated, 0)} ` +
        `(expected in every round: accepted = limit − seats already held = ${results[0]?.expectedAccepted}, final used = held + accepted)`,
    );
    console.log(JSON.stringify({ reservations: RESERVATIONS, concurrency: CONCURRENCY, limit: LIMIT, rounds: results }));
    if (bad.length > 0) {
      console.error(`FAILED: ${bad.length} round(s) over-allocated, miscounted or had failed calls`);
      process.exitCode = 1;
    }
  } finally {
    await mf.dispose();
  }
}

await main();
