/**
 * Starts what the browser story talks to, on free ports, from scratch:
 * the local Stripe emulator (in this process, webhooks pushed to the app)
 * and the real app under `wrangler dev` (local D1, Durable Objects and
 * Queues) on a fresh, migrated database. Torn down after the run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startStripeEmulator } from '../../tools/stripe-emulator/server.ts';
import { freePort, LOCAL_HOST, OFFLINE_WRANGLER_ENV } from '../../scripts/lib/local.ts';
import { TEST_PASSWORD_ITERATIONS } from '../setup/password.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    appUrl: string;
    stripeEmulatorUrl: string;
  }
}

const ROOT = join(import.meta.dirname, '..', '..');
const HOST = LOCAL_HOST;
/** Exported for tests that sign a webhook themselves (test/e2e/ops.test.ts). */
export const WEBHOOK_SECRET = 'whsec_e2e_browser_story';
/** The dev operator token for /ops. */
export const OPS_TOKEN = 'e2e-ops-token-0123456789';
const STARTUP_TIMEOUT_MS = 60_000;

/** Offline wrangler: no metrics, no update check, no fetch of the Request.cf placeholder. */
const WRANGLER_ENV = { ...process.env, ...OFFLINE_WRANGLER_ENV, CI: '1' };

async function waitUntilUp(url: string, app: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (app.exitCode !== null) break;
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the app did not come up at ${url}:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
}

export default async function setup(project: TestProject) {
  const [appPort, inspectorPort] = [await freePort(), await freePort()];
  const appUrl = `http://${HOST}:${appPort}`;
  const state = mkdtempSync(join(tmpdir(), 'saas-slice-e2e-'));
  const logFile = join(state, 'wrangler.log');

  const emulator = await startStripeEmulator({ host: HOST, webhookSecret: WEBHOOK_SECRET, webhookUrl: `${appUrl}/webhooks/stripe`, retryBaseMs: 200 });

  const migrate = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], { cwd: ROOT, env: WRANGLER_ENV, encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  const vars = {
    JWT_SECRET: 'e2e-secret-0123456789abcdef0123456789abcdef',
    MFA_SEALING_KEY: 'e2e-mfa-sealing-key-0123456789abcdef01234567',
    APP_URL: appUrl,
    ENVIRONMENT: 'test',
    STRIPE_SECRET_KEY: 'sk_test_emulator',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_HOST: HOST,
    STRIPE_API_PORT: String(emulator.port),
    STRIPE_API_PROTOCOL: 'http',
    STRIPE_PRICE_PRO: 'price_pro_monthly',
    STRIPE_PRICE_ENTERPRISE: 'price_enterprise_monthly',
    OPS_TOKEN,
    PASSWORD_ITERATIONS: TEST_PASSWORD_ITERATIONS,
  };
  const log = openSync(logFile, 'a');
  // Its own process group (detached), so teardown stops npx, wrangler and workerd together.
  const app = spawn(
    'npx',
    [
      'wrangler', 'dev', '--ip', HOST, '--port', String(appPort), '--inspector-port', String(inspectorPort), '--persist-to', state,
      '--show-interactive-dev-session=false', ...Object.entries(vars).flatMap(([key, value]) => ['--var', `${key}:${value}`]),
    ],
    { cwd: ROOT, env: WRANGLER_ENV, detached: true, stdio: ['ignore', log, log] },
  );

  const teardown = async () => {
    if (app.pid && app.exitCode === null) {
      try {
        process.kill(-app.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise((resolve) => (app.exitCode !== null ? resolve(undefined) : app.once('exit', resolve)));
    }
    await emulator.stop();
    rmSync(state, { recursive: true, force: true });
  };

  try {
    await waitUntilUp(`${appUrl}/healthz`, app, logFile);
  } catch (err) {
    await teardown();
    throw err;
  }
  project.provide('appUrl', appUrl);
  project.provide('stripeEmulatorUrl', emulator.url);
  return teardown;
}
