/**
 * The benchmark's load generator (scripts/bench/load.ts) measures compared
 * rows interleaved: each row runs in turns, round-robin, and a turn's server
 * CPU is that row's alone. Against a local server whose "CPU" is a counter
 * each answer adds a known cost to, so the attribution can be checked
 * exactly. A behaviour check: nothing here is timed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runLoad, type LoadTarget } from '../../scripts/bench/load.ts';

/** What each path "costs" the server, in the fake CPU milliseconds `serverCpuMs` reads. */
const COST = { '/a': 1, '/b': 3 } as const;
let served: string[] = [];
let cpu = 0;
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url as keyof typeof COST;
    served.push(path);
    cpu += COST[path] ?? 0;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** runLoad against the local server, with no warm-up, its "CPU" the counter. */
function load(targets: Record<string, LoadTarget>, { connections, seconds, sliceSeconds }: { connections: number; seconds: number; sliceSeconds: number }) {
  return runLoad({ targets, connections, warmupSeconds: 0, seconds, sliceSeconds, serverCpuMs: () => cpu, hostCpuMs: () => cpu });
}

/** The served paths with repeats folded: `a a b a` → `a b a`. */
function turnsOf(paths: string[]): string[] {
  return paths.filter((path, i) => path !== paths[i - 1]);
}

describe('the load generator', () => {
  test('runs compared rows in alternating turns and gives each its own requests and CPU', async () => {
    served = [];
    cpu = 0;
    const get = (path: string) => ({ origin, status: 200, request: () => ({ method: 'GET' as const, path }) });
    // Turns long enough that a pause of the test process cannot leave one empty.
    const results = await load({ a: get('/a'), b: get('/b') }, { connections: 3, seconds: 1, sliceSeconds: 0.25 });

    // Four turns each, alternating: a b a b a b a b.
    expect(turnsOf(served)).toEqual(['/a', '/b', '/a', '/b', '/a', '/b', '/a', '/b']);
    const a = results.a!;
    const b = results.b!;
    expect(a.requests).toBe(served.filter((p) => p === '/a').length);
    expect(b.requests).toBe(served.filter((p) => p === '/b').length);
    // Every connection had its answer before the next row's turn, so no row is charged another's work.
    expect(a.serverCpuMsPerRequest).toBe(COST['/a']);
    expect(b.serverCpuMsPerRequest).toBe(COST['/b']);
    expect(a.failures + b.failures).toBe(0);
    expect(a.perSecond).toBeGreaterThan(0);
  });

  test('counts an unexpected answer as a failure, with the first one described', async () => {
    const results = await load({ wrong: { origin, status: 201, request: () => ({ method: 'GET', path: '/a' }) } }, { connections: 1, seconds: 0.05, sliceSeconds: 0.05 });
    expect(results.wrong!.failures).toBeGreaterThan(0);
    expect(results.wrong!.firstFailure).toMatch(/^GET \/a answered 200: ok/);
  });
});
