/**
 * The Workers of `npm run bench` in Miniflare's API: the app's bundle with
 * the bindings wrangler.toml gives it (D1, the tenant Durable Object, the
 * queues and their consumers, the rate limiter, the vars), and the
 * comparator Worker bound to the same D1 database. Each Worker listens on a
 * socket of its own (port 0: a free one), so requests reach it without
 * Miniflare's entry Worker in the way, as they reach a deployed Worker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { convertV4MiniflareOptions, Miniflare, type V4WorkerOptionsShape } from 'miniflare';
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from 'wrangler';
import type { Compatibility } from './build.ts';
import { ROOT } from './build.ts';

// Module rules tell a bundler how to load non-JS files; the bundle is one built file, so they do not apply (and Miniflare 5 refuses them).
const { modulesRules: _unused, ...sourceless } = unstable_getMiniflareWorkerOptions(join(ROOT, 'wrangler.toml')).workerOptions;
const APP: V4WorkerOptionsShape = sourceless;

export const COMPATIBILITY: Compatibility = {
  compatibilityDate: APP.compatibilityDate ?? '',
  compatibilityFlags: APP.compatibilityFlags ?? [],
};

/** Secrets the benchmark configures; the webhook secret signs the events it sends and the emulator's. */
export const BENCH_SECRETS = {
  JWT_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef',
  MFA_SEALING_KEY: 'bench-mfa-sealing-key-0123456789abcdef012345',
  STRIPE_SECRET_KEY: 'sk_test_bench',
  STRIPE_WEBHOOK_SECRET: 'whsec_bench_api',
};

/** A var wrangler.toml sets for the app (a price id, say), so the benchmark and the app agree on it. */
export function appVar(name: string): string {
  const value = APP.bindings?.[name];
  if (typeof value !== 'string') throw new Error(`wrangler.toml sets no var ${name}`);
  return value;
}

export interface WorkerSet {
  /** `rateLimits`: BENCH_RATE_LIMITS, honoured in development only (the bench runs wrangler.toml's top level, ENVIRONMENT = development). */
  app?: { scriptPath: string; stripePort: number; rateLimits?: 'unrefused' | 'off' };
  comparator?: { scriptPath: string };
}

const DIRECT_SOCKET = [{ host: '127.0.0.1', port: 0 }];

/** The D1 database id wrangler.toml gives the app, so the comparator reads the very same database. */
function appDatabaseId(): string {
  const db = APP.d1Databases && !Array.isArray(APP.d1Databases) ? APP.d1Databases.DB : undefined;
  const id = typeof db === 'string' ? db : db?.id;
  if (!id) throw new Error('wrangler.toml binds no D1 database as DB');
  return id;
}

export interface Output {
  /** Lines workerd printed (the app's request log among them), kept for error reports. */
  lines: string[];
}

/** Starts workerd with the given Workers. Logs are kept (the last 50 lines), not printed. */
export function startWorkers(set: WorkerSet, output: Output = { lines: [] }): Miniflare {
  const workers = [];
  if (set.app) {
    workers.push({
      ...APP,
      name: 'app',
      modules: true,
      scriptPath: set.app.scriptPath,
      modulesRoot: dirname(set.app.scriptPath),
      bindings: { ...APP.bindings, ...BENCH_SECRETS, STRIPE_API_PORT: String(set.app.stripePort), BENCH_RATE_LIMITS: set.app.rateLimits ?? 'unrefused' },
      unsafeDirectSockets: DIRECT_SOCKET,
    });
  }
  if (set.comparator) {
    workers.push({
      name: 'comparator',
      modules: true,
      scriptPath: set.comparator.scriptPath,
      modulesRoot: dirname(set.comparator.scriptPath),
      ...COMPATIBILITY,
      d1Databases: { DB: appDatabaseId() },
      unsafeDirectSockets: DIRECT_SOCKET,
    });
  }
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const ours = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      handleStructuredLogs: ({ message }) => {
        output.lines.push(message);
        if (output.lines.length > 50) output.lines.shift();
      },
      workers,
    }),
  );
  // Miniflare's own signal handlers SIGKILL workerd and exit at once, before the
  // benchmark has stopped the emulator or reaped anything; the benchmark's
  // handlers (processes.ts) stop everything in order, Miniflare included.
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) if (!ours.get(signal)?.has(listener)) process.removeListener(signal, listener);
  }
  return mf;
}

/** The origin of a Worker's own socket, e.g. http://127.0.0.1:40123. */
export async function originOf(mf: Miniflare, worker: 'app' | 'comparator'): Promise<string> {
  return (await mf.unsafeGetDirectURL(worker)).origin;
}

/** Applies the app's D1 migrations, in order, as `wrangler d1 migrations apply` splits them, one batch per file. */
export async function applyMigrations(mf: Miniflare): Promise<void> {
  const dir = join(ROOT, 'migrations');
  const db = await mf.getD1Database('DB', 'app');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.sql')).sort()) {
    await db.batch(unstable_splitSqlQuery(readFileSync(join(dir, file), 'utf8')).map((query) => db.prepare(query)));
  }
}
