/**
 * `npm run bench` keeps working: run in its smallest mode, it produces a
 * figure for every row and leaves nothing running; interrupted, it stops
 * everything it started. A behaviour check: no figure is compared with a
 * speed, the benchmark's targets are for people to read.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isListening } from '../../scripts/bench/processes.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SMALLEST = ['--quick', '--duration', '0.3', '--slice', '0.1', '--warmup', '0.1', '--connections', '4', '--latency-samples', '2', '--cold-starts', '1', '--tenants', '20'];
const ROWS = ['hello', 'one-query', 'me-floor', 'members-floor', 'me', 'members', 'projects', 'project-create', 'invitation-create', 'webhook-ingest'];
const TENANT_READS = ['one-query', 'me', 'members', 'projects'];

const dir = mkdtempSync(join(tmpdir(), 'bench-api-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  output: string;
}

/** Starts the benchmark as `npm run bench` does; `onOutput` sees everything printed so far. */
function bench(args: string[], onOutput: (output: string, pid: number) => void = () => {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/bench-api.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      onOutput(output, child.pid as number);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What the benchmark prints once everything it needs is up: its process group, workerd, the emulator and their ports. */
function startedProcesses(output: string) {
  const match = /processes: group (\d+), workerd ([\d ]+) \(app http:\/\/127\.0\.0\.1:(\d+), comparators http:\/\/127\.0\.0\.1:(\d+)\), Stripe emulator (\d+) \(http:\/\/127\.0\.0\.1:(\d+)\)/.exec(output);
  if (!match) return undefined;
  return {
    pids: [Number(match[1]), ...(match[2] as string).trim().split(' ').map(Number), Number(match[5])],
    ports: [Number(match[3]), Number(match[4]), Number(match[6])],
  };
}

async function expectAllStopped(started: { pids: number[]; ports: number[] }) {
  expect(started.pids.filter(alive), 'processes still running').toEqual([]);
  const listening = await Promise.all(started.ports.map(isListening));
  expect(started.ports.filter((_, i) => listening[i]), 'ports still held').toEqual([]);
}

describe('npm run bench', () => {
  test('in its smallest mode, produces every figure and leaves nothing running', async () => {
    const json = join(dir, 'result.json');
    const run = await bench([...SMALLEST, '--json', json]);
    expect(run.output).not.toContain('bench failed');
    expect(run.code, run.output).toBe(0);

    const result = JSON.parse(readFileSync(json, 'utf8'));
    expect(result.missing).toEqual([]);
    expect(Object.keys(result.summary.rows)).toEqual(ROWS);
    for (const id of ROWS) {
      const row = result.summary.rows[id];
      expect(row.requests, id).toBeGreaterThan(0);
      expect(row.perSecond, id).toBeGreaterThan(0);
      expect(row.p50Ms, id).toBeGreaterThan(0);
      expect(row.p99Ms, id).toBeGreaterThanOrEqual(row.p50Ms);
      expect(row.serverCpuMsPerRequest, id).toBeGreaterThanOrEqual(0);
      expect(row.share, id).toBeGreaterThan(0);
      expect(row.cpuShare, id).toBeGreaterThan(0);
    }
    expect(result.summary.rows['one-query'].share).toBe(1);
    expect(result.summary.webhookToLimits.samples).toBe(2);
    expect(result.summary.webhookToLimits.p99Ms).toBeGreaterThanOrEqual(result.summary.webhookToLimits.p50Ms);
    expect(result.summary.webhookToLimits.p50Ms).toBeGreaterThan(0);
    const share = /^\d+% \(by CPU \d+%\)$/;
    expect(result.summary.targets.map((t: { measured: string }) => t.measured)).toEqual([expect.stringMatching(share), expect.stringMatching(share), expect.stringMatching(/^\d+ ms$/)]);
    // The throughput targets say how far their route's own floor reaches, and how much of it the route keeps.
    for (const t of result.summary.targets.slice(0, 2)) {
      expect(t.floor).toMatch(share);
      expect(t.ofFloor).toMatch(/^\d+%$/);
    }
    expect(result.bundle.bytes).toBeGreaterThan(result.bundle.gzipBytes);
    expect(result.bundle.gzipBytes).toBeGreaterThan(0);
    for (const worker of ['app', 'hello']) expect(result.coldStartMs[worker].totalMs).toBeGreaterThan(result.coldStartMs[worker].firstRequestMs);

    // --tenants 20: the tables grew by 20 tenants beside the benchmark's own 3, and the tenant reads were measured again.
    expect(result.growth.tableRows.tenants).toBe(23);
    expect(Object.keys(result.growth.rows)).toEqual(TENANT_READS);
    for (const id of TENANT_READS) expect(result.growth.rows[id].perSecond, id).toBeGreaterThan(0);

    for (const label of ['summary', 'GET /api/me', 'GET /api/t/:tenant/members', 'webhook → limits applied', 'targets:']) expect(run.output).toContain(label);
    const started = startedProcesses(run.output);
    expect(started, run.output).toBeDefined();
    await expectAllStopped(started as NonNullable<typeof started>);
  }, 180_000);

  test('interrupted (SIGINT), stops the emulator and workerd and exits 130', async () => {
    let interrupted = false;
    // No cold starts: nothing is measured before the interruption, so only the start-up is paid for.
    const run = await bench([...SMALLEST, '--cold-starts', '0'], (output, pid) => {
      if (!interrupted && startedProcesses(output)) {
        interrupted = true;
        process.kill(pid, 'SIGINT');
      }
    });
    expect(interrupted, run.output).toBe(true);
    expect(run.code, run.output).toBe(130);
    expect(run.output).toContain('SIGINT: stopping the benchmark');
    await expectAllStopped(startedProcesses(run.output) as NonNullable<ReturnType<typeof startedProcesses>>);
  }, 180_000);
});
