/**
 * `npm start`: the whole app, locally and offline, in one command.
 *
 * 1. writes .dev.vars with a fresh session secret if there is none;
 * 2. applies D1 migrations to the local database;
 * 3. starts the Stripe emulator (webhooks pushed to the app) and `wrangler dev`;
 * 4. seeds a demo tenant through the real sign-up API, and prints the URL
 *    and the demo sign-in.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const PORT = Number(process.env.PORT ?? 8787);
const STRIPE_PORT = Number(process.env.STRIPE_EMULATOR_PORT ?? 12111);
const HOST = '127.0.0.1';
const APP_URL = `http://${HOST}:${PORT}`;
export const DEMO = { email: 'demo@saas-slice.test', password: 'demo-password-123', name: 'Demo Owner', tenantName: 'Demo Co' };

const children: ChildProcess[] = [];
// Offline: no metrics, no update check, no fetch of the Request.cf placeholder.
const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_UPDATE_NOTIFIER: '1', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

function ensureDevVars(): void {
  const path = join(ROOT, '.dev.vars');
  if (existsSync(path)) return;
  const example = join(ROOT, '.dev.vars.example');
  const template = existsSync(example) ? readFileSync(example, 'utf8') : 'JWT_SECRET=\n';
  const secret = randomBytes(32).toString('hex');
  writeFileSync(path, template.replace(/^JWT_SECRET=.*$/m, `JWT_SECRET=${secret}`));
  console.log('Wrote .dev.vars with a fresh JWT_SECRET.');
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: quietEnv });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

/** The secret the app verifies webhooks with, so the emulator signs with the same one. */
function devVar(name: string): string | undefined {
  const text = readFileSync(join(ROOT, '.dev.vars'), 'utf8');
  return new RegExp(`^${name}=(.*)$`, 'm').exec(text)?.[1]?.trim();
}

function start(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = quietEnv): ChildProcess {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (!shuttingDown) {
      console.error(`${label} stopped (${signal ?? code}); shutting down.`);
      shutdown(1);
    }
  });
  children.push(child);
  return child;
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
  if (res.status !== 201 && res.status !== 409) throw new Error(`seeding the demo tenant failed: ${res.status} ${await res.text()}`);
}

let shuttingDown = false;
function shutdown(code: number): void {
  shuttingDown = true;
  for (const child of children) child.kill('SIGTERM');
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

async function main(): Promise<void> {
  ensureDevVars();
  run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local']);
  // Started with this Node directly (not through npx), so stopping it reaches the emulator itself.
  start('Stripe emulator', process.execPath, [join(ROOT, 'tools/stripe-emulator/cli.ts')], {
    ...quietEnv,
    STRIPE_EMULATOR_PORT: String(STRIPE_PORT),
    STRIPE_WEBHOOK_URL: `${APP_URL}/webhooks/stripe`,
    STRIPE_WEBHOOK_SECRET: devVar('STRIPE_WEBHOOK_SECRET') ?? 'whsec_local_stripe_emulator',
    STRIPE_EMULATOR_QUIET: '1',
  });
  start('wrangler dev', 'npx', [
    'wrangler', 'dev', '--ip', HOST, '--port', String(PORT), '--show-interactive-dev-session=false',
    '--var', `APP_URL:${APP_URL}`, '--var', `STRIPE_API_PORT:${STRIPE_PORT}`,
  ]);
  await waitFor(`${APP_URL}/healthz`, 60_000);
  await seedDemo();
  console.log(`
  saas-slice is running at ${APP_URL}

  Demo sign-in:  ${DEMO.email}  /  ${DEMO.password}   (tenant "${DEMO.tenantName}")
  Stripe (local emulator, test mode): http://${HOST}:${STRIPE_PORT}  — pay with the test card on its checkout page
  Dev mailbox (invitation emails):    ${APP_URL}/dev/mailbox

  Ctrl-C stops everything.
`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  shutdown(1);
});
