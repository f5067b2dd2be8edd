/**
 * `npm start`: the whole app, locally and offline, in one command.
 *
 * 1. checks that the app's and the emulator's ports are free, and says which is not;
 * 2. writes .dev.vars with this machine's own secrets (session key, ops
 *    token, webhook secret) where it has none or the example's;
 * 3. applies D1 migrations to the local database;
 * 4. starts the Stripe emulator (webhooks pushed to the app, signed with this
 *    machine's secret) and `wrangler dev`, each in its own process group, so
 *    stopping one stops everything it started (npx → wrangler → workerd);
 * 5. runs the scheduled work (the cron of wrangler.toml) on its interval, as
 *    deployed Workers do and `wrangler dev` does not;
 * 6. seeds a demo tenant through the real sign-up API, and prints the banner
 *    last. Wrangler's start-up output is kept back (shown only if it fails);
 *    after the banner the Worker's own log lines pass through.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { LOCAL_HOST, OFFLINE_WRANGLER_ENV, portIsFree } from './lib/local.ts';

const ROOT = join(import.meta.dirname, '..');
const PORT = Number(process.env.PORT ?? 8787);
const STRIPE_PORT = Number(process.env.STRIPE_EMULATOR_PORT ?? 12111);
/** Where wrangler keeps the local D1 and Durable Objects (default: .wrangler/state); tests point it elsewhere. */
const PERSIST_TO = process.env.START_PERSIST_TO;
const HOST = LOCAL_HOST;
const APP_URL = `http://${HOST}:${PORT}`;
export const DEMO = { email: 'demo@saas-slice.test', password: 'demo-password-123', name: 'Demo Owner', tenantName: 'Demo Co' };

// Offline: no metrics, no update check, no fetch of the Request.cf placeholder.
const quietEnv = { ...process.env, ...OFFLINE_WRANGLER_ENV, FORCE_COLOR: '0' };

/** The secrets `npm start` makes per machine, and the example's placeholder each replaces. */
const GENERATED_SECRETS = {
  JWT_SECRET: () => randomBytes(32).toString('hex'),
  MFA_SEALING_KEY: () => randomBytes(32).toString('hex'),
  OPS_TOKEN: () => `ops_${randomBytes(24).toString('base64url')}`,
  STRIPE_WEBHOOK_SECRET: () => `whsec_${randomBytes(24).toString('base64url')}`,
} as const;

/**
 * .dev.vars with a fresh value for each generated secret that is missing or
 * still the example's (the same on every machine, so anyone could forge a
 * webhook or call /ops on a developer's running app). Values already made
 * on this machine are kept, so sessions survive a restart.
 */
export function ensureDevVars(path = join(ROOT, '.dev.vars'), examplePath = join(ROOT, '.dev.vars.example')): string[] {
  const example = existsSync(examplePath) ? readFileSync(examplePath, 'utf8') : '';
  let text = existsSync(path) ? readFileSync(path, 'utf8') : example;
  const written: string[] = [];
  for (const [name, make] of Object.entries(GENERATED_SECRETS)) {
    const current = valueIn(text, name);
    if (current && current !== valueIn(example, name)) continue;
    const line = `${name}=${make()}`;
    text = current === undefined ? `${text.replace(/\n?$/, '\n')}${line}\n` : text.replace(new RegExp(`^${name}=.*$`, 'm'), line);
    written.push(name);
  }
  if (written.length > 0) writeFileSync(path, text);
  return written;
}

export function valueIn(text: string, name: string): string | undefined {
  return new RegExp(`^${name}=(.*)$`, 'm').exec(text)?.[1]?.trim();
}

/** The cron's interval in ms, for the forms wrangler.toml uses (`*\/N * * * *`, `* * * * *`); else every 5 minutes. */
export function cronIntervalMs(cron: string): number {
  const minutes = /^\*\/(\d+) \* \* \* \*$/.exec(cron)?.[1] ?? (cron === '* * * * *' ? '1' : '5');
  return Number(minutes) * 60_000;
}

/** The top-level cron of wrangler.toml (the local environment's). */
function localCron(): string {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  return /^\[triggers\]\s*\ncrons\s*=\s*\["([^"]+)"\]/m.exec(toml)?.[1] ?? '*/5 * * * *';
}

interface Child {
  label: string;
  process: ChildProcess;
  /** The last lines it printed, shown if it stops unexpectedly. */
  recent: string[];
}

const children: Child[] = [];
let bannerPrinted = false;
let shuttingDown = false;

/**
 * Starts a process as the leader of its own group (detached), so the whole
 * tree under it (npx → wrangler → workerd) can be signalled at once. Its
 * output is held back until the banner, then passed through.
 */
function start(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = quietEnv): Child {
  const proc = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const child: Child = { label, process: proc, recent: [] };
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      child.recent.push(line);
      if (child.recent.length > 60) child.recent.shift();
      if (bannerPrinted && !isWranglerNoise(line)) console.log(line);
    });
  }
  proc.on('exit', (code, signal) => {
    if (shuttingDown) return;
    console.error(`${label} stopped (${signal ?? code}); its last output:\n${child.recent.join('\n')}\n\nShutting everything down.`);
    void shutdown(1);
  });
  children.push(child);
  return child;
}

/** Wrangler's chrome, not the Worker's: the bindings table, the ready box, reload notices. */
function isWranglerNoise(line: string): boolean {
  return /^\s*$|^[\s│┌└├─╭╰╮╯⎔⛅️▲]|wrangler|Reloading local server|Local server updated|Your Worker has access|^env\.|^\[b\]|Ready on|update available/i.test(line) && !line.startsWith('{');
}

/** Runs a command to completion with its output held back; shown only if it fails. */
function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { cwd: ROOT, env: quietEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up within ${timeoutMs / 1000}s`);
}

async function seedDemo(): Promise<void> {
  const res = await fetch(`${APP_URL}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(DEMO),
  });
  // 202 whether the demo account is new or already there (sign-up tells no one which, issue 17 #10).
  if (res.status !== 202) throw new Error(`seeding the demo tenant failed: ${res.status} ${await res.text()}`);
}

/**
 * Fires the Worker's scheduled handler through wrangler's `--test-scheduled`
 * route on the cron's interval (and once at start-up, which is what a
 * restart needs: events stored while the app was down get swept).
 */
function runScheduledWork(cron: string): void {
  const fire = async () => {
    try {
      const res = await fetch(`${APP_URL}/__scheduled?cron=${encodeURIComponent(cron)}`);
      if (!res.ok) console.error(`scheduled run answered ${res.status}`);
    } catch (err) {
      if (!shuttingDown) console.error(`scheduled run failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  void fire();
  const everyMs = Number(process.env.START_SCHEDULED_EVERY_MS ?? cronIntervalMs(cron));
  setInterval(() => void fire(), everyMs).unref();
}

/** Signals every child's whole process group; after a grace period, kills what is left. */
async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    const alive = children.filter((c) => c.process.exitCode === null && c.process.signalCode === null);
    const exited = alive.map((c) => new Promise<void>((resolve) => c.process.once('exit', () => resolve())));
    for (const child of alive) signalGroup(child, 'SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref());
    if ((await Promise.race([Promise.all(exited), timeout])) === 'timeout') for (const child of alive) signalGroup(child, 'SIGKILL');
    // workerd may outlive its wrangler parent by a moment: the group is signalled once more, quietly.
    for (const child of children) signalGroup(child, 'SIGKILL');
  }
  process.exit(code);
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.process.pid === undefined) return;
  try {
    process.kill(-child.process.pid, signal);
  } catch {
    // the group is already gone
  }
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGHUP', () => void shutdown(0));

async function checkPorts(): Promise<void> {
  for (const [port, what, variable] of [
    [PORT, 'the app', 'PORT'],
    [STRIPE_PORT, 'the Stripe emulator', 'STRIPE_EMULATOR_PORT'],
  ] as const) {
    if (!(await portIsFree(port))) {
      throw new Error(`Port ${port} (${what}) is already in use on ${HOST}. Stop whatever holds it (an earlier npm start?), or choose another: ${variable}=… npm start`);
    }
  }
}

async function main(): Promise<void> {
  await checkPorts();
  const written = ensureDevVars();
  if (written.length > 0) console.log(`Wrote this machine's own ${written.join(', ')} to .dev.vars.`);
  const persist = PERSIST_TO ? ['--persist-to', PERSIST_TO] : [];
  console.log('Applying database migrations…');
  await run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', ...persist]);
  console.log('Starting the Stripe emulator and the Worker…');
  // Started with this Node directly (not through npx), so stopping it reaches the emulator itself.
  start('Stripe emulator', process.execPath, [join(ROOT, 'tools/stripe-emulator/cli.ts')], {
    ...quietEnv,
    STRIPE_EMULATOR_PORT: String(STRIPE_PORT),
    STRIPE_WEBHOOK_URL: `${APP_URL}/webhooks/stripe`,
    STRIPE_WEBHOOK_SECRET: valueIn(readFileSync(join(ROOT, '.dev.vars'), 'utf8'), 'STRIPE_WEBHOOK_SECRET'),
    STRIPE_EMULATOR_QUIET: '1',
  });
  start('wrangler dev', 'npx', [
    'wrangler', 'dev', '--ip', HOST, '--port', String(PORT), '--show-interactive-dev-session=false', '--test-scheduled',
    '--var', `APP_URL:${APP_URL}`, '--var', `STRIPE_API_PORT:${STRIPE_PORT}`, ...persist,
    ...(process.env.INSPECTOR_PORT ? ['--inspector-port', process.env.INSPECTOR_PORT] : []),
  ]);
  await waitFor(`${APP_URL}/healthz`, 90_000);
  await seedDemo();
  const cron = localCron();
  bannerPrinted = true;
  console.log(`
  saas-slice is running at ${APP_URL}

  Demo sign-in:  ${DEMO.email}  /  ${DEMO.password}   (tenant "${DEMO.tenantName}")
  Stripe (local emulator, test mode): http://${HOST}:${STRIPE_PORT}  — pay with the test card on its checkout page
  Dev mailbox (invitation emails):    ${APP_URL}/dev/mailbox
  Scheduled work (${cron}) runs every ${Number(process.env.START_SCHEDULED_EVERY_MS ?? cronIntervalMs(cron)) / 1000}s, as deployed.

  Ctrl-C stops everything.
`);
  runScheduledWork(cron);
}

if (process.argv[1] && resolvePath(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    void shutdown(1);
  });
}
