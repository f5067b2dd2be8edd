/**
 * Post-deploy smoke test: `npm run smoke -- --env staging` (or `--url https://host`).
 *
 *   1. GET  /healthz        → 200 {"ok":true}   (retried: a new version takes a few seconds to reach every location)
 *   2. POST /api/auth/login → 200 {token}       as the smoke-test account (SMOKE_EMAIL / SMOKE_PASSWORD)
 *   3. GET  /api/me         → 200, the same user: one authenticated read through D1
 *
 * The base URL is --url, else SMOKE_URL, else the environment's APP_URL from
 * wrangler.toml. Exits non-zero on the first failed step. Never prints the
 * password or the token.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SmokeOptions {
  baseUrl: string;
  email: string;
  password: string;
  /** Attempts for /healthz before giving up. */
  attempts?: number;
  delayMs?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export class SmokeFailure extends Error {}

interface Answer {
  status: number;
  body: unknown;
  text: string;
  ms: number;
  location: string | null;
}

async function call(url: URL, init: RequestInit, timeoutMs: number): Promise<Answer> {
  const started = performance.now();
  // A redirect (to a login page, a parking page…) is a failure, not something to follow.
  const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text, ms: Math.round(performance.now() - started), location: response.headers.get('location') };
}

const snippet = (a: Answer) => {
  const where = a.location ? ` (redirect to ${a.location})` : '';
  const text = a.text.replace(/\s+/g, ' ').slice(0, 300);
  return `${where} ${text}`.trim();
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export async function runSmoke(options: SmokeOptions): Promise<void> {
  const { baseUrl, email, password, attempts = 10, delayMs = 3000, timeoutMs = 10_000, log = console.log } = options;
  const url = (p: string) => new URL(p, baseUrl);

  // 1. Health, retried while the new version propagates.
  let health: Answer | undefined;
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      health = await call(url('/healthz'), {}, timeoutMs);
      if (health.status === 200 && isRecord(health.body) && health.body.ok === true) break;
      lastError = `${health.status} ${snippet(health)}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    health = undefined;
    if (attempt < attempts) {
      log(`… GET /healthz attempt ${attempt}/${attempts}: ${lastError}; retrying in ${delayMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
  if (!health) throw new SmokeFailure(`GET ${url('/healthz').href} never answered 200 {"ok":true} (${attempts} attempts); last: ${lastError}`);
  log(`✓ GET /healthz → ${health.status} {"ok":true} (${health.ms} ms)`);

  // 2. Sign in as the smoke-test account.
  const login = await call(
    url('/api/auth/login'),
    { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email, password }) },
    timeoutMs,
  );
  const token = isRecord(login.body) && typeof login.body.token === 'string' ? login.body.token : undefined;
  if (login.status !== 200 || !token) {
    const hint = login.status === 401 ? ' Does the smoke-test account exist in this environment, with this password? (docs/operations/deploy.md#smoke-test-account)' : '';
    throw new SmokeFailure(`POST /api/auth/login → ${login.status}, expected 200 with a token: ${snippet(login)}${hint}`);
  }
  log(`✓ POST /api/auth/login → ${login.status} (${login.ms} ms)`);

  // 3. One authenticated read.
  const me = await call(url('/api/me'), { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, timeoutMs);
  const user = isRecord(me.body) && isRecord(me.body.user) ? me.body.user : undefined;
  if (me.status !== 200 || !user) throw new SmokeFailure(`GET /api/me → ${me.status}, expected 200 {user, memberships}: ${snippet(me)}`);
  if (typeof user.email !== 'string' || user.email.toLowerCase() !== email.toLowerCase()) {
    throw new SmokeFailure(`GET /api/me answered for another user (${String(user.email)}), not the smoke-test account`);
  }
  log(`✓ GET /api/me → ${me.status} as the smoke-test account (${me.ms} ms)`);
}

/** The environment's APP_URL, as wrangler itself reads wrangler.toml. */
export async function appUrlOf(env: string, configPath: string): Promise<string> {
  const { unstable_readConfig } = await import('wrangler');
  const config = unstable_readConfig({ config: configPath, env });
  const appUrl = config.vars.APP_URL;
  if (typeof appUrl !== 'string' || appUrl === '') throw new SmokeFailure(`wrangler.toml has no vars.APP_URL for env "${env}"; pass --url or set SMOKE_URL`);
  return appUrl;
}

function parseArgs(argv: string[]): { env?: string; url?: string } {
  const out: { env?: string; url?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (flag === '--env') out.env = value;
    else if (flag === '--url') out.url = value;
    else throw new SmokeFailure(`Unknown argument ${arg}. Usage: npm run smoke -- --env <staging|production> | --url <https://host>`);
  }
  return out;
}

async function main(): Promise<number> {
  try {
    const args = parseArgs(process.argv.slice(2));
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const baseUrl =
      args.url || process.env.SMOKE_URL || (args.env ? await appUrlOf(args.env, path.join(root, 'wrangler.toml')) : undefined);
    if (!baseUrl) throw new SmokeFailure('Say where to test: --env <name>, --url <https://host>, or SMOKE_URL.');
    const email = process.env.SMOKE_EMAIL;
    const password = process.env.SMOKE_PASSWORD;
    if (!email || !password) {
      throw new SmokeFailure('SMOKE_EMAIL and SMOKE_PASSWORD must be set (GitHub environment secrets in CI; see docs/operations/deploy.md#smoke-test-account).');
    }
    console.log(`Smoke test of ${baseUrl}`);
    await runSmoke({ baseUrl, email, password });
    console.log('✓ smoke test passed');
    return 0;
  } catch (error) {
    console.error(`✗ smoke test failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
