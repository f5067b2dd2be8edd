import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { appUrlOf, runSmoke } from '../../scripts/smoke';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EMAIL = 'smoke@saas-slice.example';
const PASSWORD = 'correct horse battery staple';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.smoke.token';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A stand-in for the deployed Worker, answering the three routes as the API contract says. */
function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const app: Record<string, Handler> = {
  'GET /healthz': (_req, _body, res) => json(res, 200, { ok: true }),
  'POST /api/auth/login': (_req, body, res) => {
    const { email, password } = JSON.parse(body) as { email: string; password: string };
    if (email === EMAIL && password === PASSWORD) json(res, 200, { user: { id: 'u1', email }, token: TOKEN });
    else json(res, 401, { error: { code: 'unauthenticated', message: 'Wrong email or password' } });
  },
  'GET /api/me': (req, _body, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(res, 401, { error: { code: 'unauthenticated', message: 'Sign in' } });
    json(res, 200, { user: { id: 'u1', email: EMAIL, name: 'Smoke' }, memberships: [] });
  },
};

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function serve(overrides: Record<string, Handler> = {}): Promise<string> {
  const routes = { ...app, ...overrides };
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const handler = routes[`${req.method} ${req.url}`];
      if (handler) handler(req, body, res);
      else json(res, 404, { error: { code: 'not_found', message: 'Not found' } });
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

async function smoke(baseUrl: string, password = PASSWORD) {
  const lines: string[] = [];
  try {
    await runSmoke({ baseUrl, email: EMAIL, password, attempts: 3, delayMs: 10, log: (l) => lines.push(l) });
    return { ok: true, lines, error: '' };
  } catch (error) {
    return { ok: false, lines, error: (error as Error).message };
  }
}

describe('scripts/smoke.ts', () => {
  test('passes against a Worker that is healthy and lets the smoke account read /api/me', async () => {
    const result = await smoke(await serve());
    expect(result.error).toBe('');
    expect(result.lines.map((l) => l.replace(/\(\d+ ms\)/, '(… ms)'))).toEqual([
      '✓ GET /healthz → 200 {"ok":true} (… ms)',
      '✓ POST /api/auth/login → 200 (… ms)',
      '✓ GET /api/me → 200 as the smoke-test account (… ms)',
    ]);
  });

  test('retries /healthz while the new version propagates', async () => {
    let calls = 0;
    const url = await serve({ 'GET /healthz': (_q, _b, res) => (++calls < 3 ? json(res, 503, { ok: false }) : json(res, 200, { ok: true })) });
    const result = await smoke(url);
    expect(result.ok).toBe(true);
    expect(calls).toBe(3);
  });

  test('fails when /healthz never becomes healthy, or redirects', async () => {
    const down = await smoke(await serve({ 'GET /healthz': (_q, _b, res) => json(res, 500, { error: { code: 'internal', message: 'boom' } }) }));
    expect(down.error).toMatch(/never answered 200 \{"ok":true\} \(3 attempts\); last: 500/);
    server?.close();
    const redirected = await smoke(await serve({ 'GET /healthz': (_q, _b, res) => res.writeHead(302, { location: '/login' }).end() }));
    expect(redirected.error).toContain('redirect to /login');
  });

  test('fails with a hint when the smoke account cannot sign in, and never prints the password', async () => {
    const result = await smoke(await serve(), 'wrong password');
    expect(result.error).toContain('POST /api/auth/login → 401');
    expect(result.error).toContain('Does the smoke-test account exist in this environment');
    expect([result.error, ...result.lines].join('\n')).not.toContain('wrong password');
  });

  test('fails when the authenticated read fails or answers for someone else', async () => {
    const broken = await smoke(await serve({ 'GET /api/me': (_q, _b, res) => json(res, 500, { error: { code: 'internal', message: 'D1 down' } }) }));
    expect(broken.error).toContain('GET /api/me → 500');
    server?.close();
    const other = await smoke(await serve({ 'GET /api/me': (_q, _b, res) => json(res, 200, { user: { email: 'eve@example.com' } }) }));
    expect(other.error).toContain('answered for another user');
  });

  test('the CLI exits 0 on success and 1 with a reason when credentials are missing', async () => {
    const url = await serve();
    const run = (env: Record<string, string>) =>
      new Promise<{ status: number | null; output: string }>((resolve) => {
        // spawnSync would block the event loop this test's server runs on.
        import('node:child_process').then(({ spawn }) => {
          const child = spawn(process.execPath, ['scripts/smoke.ts', '--url', url], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
          let output = '';
          child.stdout.on('data', (d: Buffer) => (output += d.toString()));
          child.stderr.on('data', (d: Buffer) => (output += d.toString()));
          child.on('close', (status) => resolve({ status, output }));
        });
      });
    const ok = await run({ SMOKE_EMAIL: EMAIL, SMOKE_PASSWORD: PASSWORD });
    expect(ok.output).toContain('✓ smoke test passed');
    expect(ok.status).toBe(0);
    const missing = await run({ SMOKE_EMAIL: EMAIL });
    expect(missing.status).toBe(1);
    expect(missing.output).toContain('SMOKE_EMAIL and SMOKE_PASSWORD must be set');
  }, 30_000);

  test('--env takes the base URL from the environment in wrangler.toml', async () => {
    const config = path.join(ROOT, 'wrangler.toml');
    expect(await appUrlOf('staging', config)).toBe('https://staging.saas-slice.example');
    expect(await appUrlOf('production', config)).toBe('https://app.saas-slice.example');
    const run = spawnSync(process.execPath, ['scripts/smoke.ts', '--env', 'no-such-env'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', SMOKE_EMAIL: EMAIL, SMOKE_PASSWORD: PASSWORD },
    });
    expect(run.status).toBe(1);
    expect(`${run.stdout}${run.stderr}`).toContain('No environment found in configuration with name "no-such-env"');
  }, 30_000);
});
