/**
 * `npm start` (scripts/start.ts) as a developer meets it (issue 17 #14–#16,
 * issue 18 "noise at start-up"): its own secrets per machine, the ports
 * checked before anything starts, the scheduled work run on its interval, and
 * the whole process tree gone (ports free) when it is stopped or the emulator dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freePort, LOCAL_HOST, portIsFree } from '../../scripts/lib/local.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cronIntervalMs, ensureDevVars, valueIn } from '../../scripts/start.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const HOST = LOCAL_HOST;

/** Every live process below `pid` (from /proc), so a test can see orphans that outlive their parent. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while listing
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent || found.includes(child)) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(state); // a zombie has exited
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

interface Started {
  proc: ChildProcess;
  output: () => string;
  ports: { app: number; stripe: number };
  state: string;
}

const running: Started[] = [];
afterEach(() => {
  for (const started of running.splice(0)) {
    for (const pid of [started.proc.pid, ...descendants(started.proc.pid ?? 0)]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(started.state, { recursive: true, force: true });
  }
});

async function startApp(ports?: { app: number; stripe: number }): Promise<Started> {
  const chosen = ports ?? { app: await freePort(), stripe: await freePort() };
  const state = mkdtempSync(join(tmpdir(), 'saas-slice-start-'));
  const proc = spawn(process.execPath, [join(ROOT, 'scripts/start.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(chosen.app), STRIPE_EMULATOR_PORT: String(chosen.stripe), INSPECTOR_PORT: String(await freePort()), START_PERSIST_TO: state, START_SCHEDULED_EVERY_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = { proc, output: () => output, ports: chosen, state };
  running.push(started);
  return started;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting: ${what()}`);
}

const exited = (proc: ChildProcess) => new Promise<number | null>((resolve) => (proc.exitCode !== null ? resolve(proc.exitCode) : proc.once('exit', (code) => resolve(code))));

async function expectAllGone(started: Started, tree: number[]): Promise<void> {
  await until(() => tree.every((pid) => !alive(pid)), 10_000, () => `still running: ${tree.filter(alive).map((pid) => `${pid} ${cmdline(pid)}`).join('; ')}`);
  expect(await portIsFree(started.ports.app)).toBe(true);
  expect(await portIsFree(started.ports.stripe)).toBe(true);
}

describe('npm start', () => {
  it('makes each secret per machine, replacing the example values and keeping its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'saas-slice-devvars-'));
    try {
      const example = join(dir, '.dev.vars.example');
      const vars = join(dir, '.dev.vars');
      writeFileSync(example, 'JWT_SECRET=example-jwt\nMFA_SEALING_KEY=example-mfa\nSTRIPE_WEBHOOK_SECRET=whsec_example\nOPS_TOKEN=example-ops\nSTRIPE_SECRET_KEY=sk_test_emulator\n');
      expect(ensureDevVars(vars, example).sort()).toEqual(['JWT_SECRET', 'MFA_SEALING_KEY', 'OPS_TOKEN', 'STRIPE_WEBHOOK_SECRET']);
      const first = readFileSync(vars, 'utf8');
      expect(first).toContain('STRIPE_SECRET_KEY=sk_test_emulator');
      expect(first).not.toMatch(/example-jwt|example-mfa|whsec_example|example-ops/);
      expect(first).toMatch(/^MFA_SEALING_KEY=[0-9a-f]{64}$/m);
      expect(first).toMatch(/^STRIPE_WEBHOOK_SECRET=whsec_\S{20,}$/m);
      expect(first).toMatch(/^OPS_TOKEN=ops_\S{20,}$/m);

      // A second machine gets other values; the same machine keeps its own.
      const other = join(dir, 'other.dev.vars');
      ensureDevVars(other, example);
      expect(readFileSync(other, 'utf8')).not.toBe(first);
      expect(ensureDevVars(vars, example)).toEqual([]);
      expect(readFileSync(vars, 'utf8')).toBe(first);

      // An older .dev.vars with the example's webhook secret and no OPS_TOKEN or MFA_SEALING_KEY line gets all three.
      writeFileSync(vars, 'JWT_SECRET=my-own-secret-0123456789abcdef0123456789\nSTRIPE_WEBHOOK_SECRET=whsec_example\n');
      expect(ensureDevVars(vars, example).sort()).toEqual(['MFA_SEALING_KEY', 'OPS_TOKEN', 'STRIPE_WEBHOOK_SECRET']);
      expect(readFileSync(vars, 'utf8')).toMatch(/^JWT_SECRET=my-own-secret/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('picks ports outside the range the OS gives to listen(0), free when picked', async () => {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralLow);
      expect(await portIsFree(port)).toBe(true);
    }
  });

  it('reads the cron interval wrangler.toml uses', () => {
    expect(cronIntervalMs('*/5 * * * *')).toBe(300_000);
    expect(cronIntervalMs('* * * * *')).toBe(60_000);
  });

  it('names a taken port before starting anything, and prints no banner', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, HOST, resolve));
    const address = taken.address();
    const app = typeof address === 'object' && address ? address.port : 0;
    try {
      const started = await startApp({ app, stripe: await freePort() });
      expect(await exited(started.proc)).toBe(1);
      expect(started.output()).toContain(`Port ${app} (the app) is already in use`);
      expect(started.output()).not.toContain('is running at');
      expect(started.output()).not.toMatch(/EADDRINUSE|Applying database migrations/);
    } finally {
      taken.close();
    }
  });

  it('runs the scheduled work, prints the banner last, and on SIGTERM leaves no process and no held port', { timeout: 150_000 }, async () => {
    const started = await startApp();
    await until(() => started.output().includes('is running at'), 120_000, started.output);
    // Wrangler's start-up chrome stays hidden; the banner is the last thing before the Worker's own lines.
    const beforeBanner = started.output().slice(0, started.output().indexOf('saas-slice is running at'));
    expect(beforeBanner).not.toMatch(/Your Worker has access|Ready on|⎔/);
    // The cron handler's one line per run reaches the console: the sweeper runs locally.
    await until(() => /"msg":"cron"/.test(started.output()), 20_000, started.output);
    // Every secret of .dev.vars reaches the Worker, the optional ones too: the operators' token opens /ops.
    const opsToken = valueIn(readFileSync(join(ROOT, '.dev.vars'), 'utf8'), 'OPS_TOKEN');
    const ops = await fetch(`http://${LOCAL_HOST}:${started.ports.app}/ops/stripe-events`, { headers: { authorization: `Bearer ${opsToken}` } });
    expect(ops.status, await ops.text()).toBe(200);

    const tree = descendants(started.proc.pid ?? 0);
    expect(tree.some((pid) => cmdline(pid).includes('workerd'))).toBe(true);
    started.proc.kill('SIGTERM');
    expect(await exited(started.proc)).toBe(0);
    await expectAllGone(started, tree);
  });

  it('when the emulator dies, stops wrangler and workerd too', { timeout: 150_000 }, async () => {
    const started = await startApp();
    await until(() => started.output().includes('is running at'), 120_000, started.output);
    const tree = descendants(started.proc.pid ?? 0);
    const emulator = tree.find((pid) => cmdline(pid).includes('stripe-emulator/cli.ts'));
    expect(emulator).toBeDefined();
    process.kill(emulator ?? 0, 'SIGKILL');
    expect(await exited(started.proc)).toBe(1);
    expect(started.output()).toContain('Stripe emulator stopped');
    await expectAllGone(started, tree);
  });
});
