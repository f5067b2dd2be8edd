/**
 * The load generator of `npm run bench`: a fixed number of keep-alive HTTP
 * connections, each sending its next request as soon as the previous answer
 * is read (closed loop), first for a warm-up whose answers are discarded,
 * then for the measured window. undici is Node's own HTTP client (the one
 * behind `fetch`) without the WHATWG stream layers, so the generator takes
 * as little as it can of the two cores it shares with workerd.
 *
 * Rows that are compared with each other (a route and the comparator its
 * share is taken of) are measured interleaved: the measured window is cut
 * into slices, and each slice runs every row in turn, so a spell of other
 * load on the host falls on all of them alike instead of on whichever row
 * happened to run then. Between two rows' turns every connection has its
 * answer, so each turn's CPU time is that row's.
 */
import { Pool } from 'undici';

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One row's requests. */
export interface LoadTarget {
  origin: string;
  /** The answer every request must get; anything else is a failure. */
  status: number;
  /** The next request to send (called once per request, so it can make each body new). */
  request: () => RequestSpec | Promise<RequestSpec>;
}

export interface LoadOptions {
  /** The rows measured together, interleaved slice by slice. */
  targets: Record<string, LoadTarget>;
  connections: number;
  /** Warm-up per row, before any slice. */
  warmupSeconds: number;
  /** Measured time per row, in all. */
  seconds: number;
  /** How long each row runs at a turn; `seconds` is cut into turns of this length. */
  sliceSeconds: number;
  /** CPU time of the server processes so far, in milliseconds. */
  serverCpuMs: () => number;
  /** CPU time of every process on the host so far, in milliseconds. */
  hostCpuMs: () => number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** workerd's CPU time in the measured window divided by the requests answered in it. */
  serverCpuMsPerRequest: number;
  /** The same for this process (the load generator), to show what it took from the shared cores. */
  clientCpuMsPerRequest: number;
  /** Cores' worth of CPU that other processes (not workerd, not this one) used during the measured window. */
  otherCores: number;
  failures: number;
  firstFailure?: string;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

interface Phase {
  latencies: number[];
  failures: number;
  firstFailure?: string;
  lastAnswerAt: number;
}

/** What a row's turns added up to. */
interface Tally {
  latencies: number[];
  failures: number;
  firstFailure?: string;
  /** Time from each turn's start to its last answer, summed. */
  activeMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
  hostCpuMs: number;
}

function emptyTally(): Tally {
  return { latencies: [], failures: 0, activeMs: 0, serverCpuMs: 0, clientCpuMs: 0, hostCpuMs: 0 };
}

/** `connections` closed loops on `pool` until `until` (performance.now()); a loop stops at its first transport error. */
async function phase(pool: Pool, target: LoadTarget, connections: number, until: number): Promise<Phase> {
  const result: Phase = { latencies: [], failures: 0, lastAnswerAt: performance.now() };
  const fail = (reason: string) => {
    result.failures++;
    result.firstFailure ??= reason;
  };
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const spec = await target.request();
        const started = performance.now();
        try {
          const answer = await pool.request({ method: spec.method, path: spec.path, headers: spec.headers, body: spec.body });
          const text = await answer.body.text();
          const answeredAt = performance.now();
          result.lastAnswerAt = Math.max(result.lastAnswerAt, answeredAt);
          if (answer.statusCode === target.status) result.latencies.push(answeredAt - started);
          else fail(`${spec.method} ${spec.path} answered ${answer.statusCode}: ${text.slice(0, 300)}`);
        } catch (err) {
          fail(`${spec.method} ${spec.path} failed: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
      }
    }),
  );
  return result;
}

/** Runs every target for `seconds` in all, `sliceSeconds` at a turn, round-robin, after a warm-up of each; a result per target. */
export async function runLoad(options: LoadOptions): Promise<Record<string, LoadResult>> {
  const rows = Object.entries(options.targets).map(([id, spec]) => ({
    id,
    spec,
    // A request that gets no answer in 30 s is a failure with a message, not a benchmark that hangs.
    pool: new Pool(spec.origin, { connections: options.connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 }),
    tally: emptyTally(),
  }));
  const note = (tally: Tally, phased: Phase) => {
    tally.failures += phased.failures;
    tally.firstFailure ??= phased.firstFailure;
  };
  try {
    for (const { spec, pool, tally } of rows) note(tally, await phase(pool, spec, options.connections, performance.now() + options.warmupSeconds * 1000));
    const turns = Math.max(1, Math.round(options.seconds / options.sliceSeconds));
    const turnMs = (options.seconds * 1000) / turns;
    for (let turn = 0; turn < turns; turn++) {
      for (const { spec, pool, tally } of rows) {
        const started = performance.now();
        const serverBefore = options.serverCpuMs();
        const clientBefore = process.cpuUsage();
        const hostBefore = options.hostCpuMs();
        const measured = await phase(pool, spec, options.connections, started + turnMs);
        tally.serverCpuMs += options.serverCpuMs() - serverBefore;
        const client = process.cpuUsage(clientBefore);
        tally.clientCpuMs += (client.user + client.system) / 1000;
        tally.hostCpuMs += options.hostCpuMs() - hostBefore;
        tally.activeMs += measured.lastAnswerAt - started;
        for (const latency of measured.latencies) tally.latencies.push(latency);
        note(tally, measured);
      }
    }
  } finally {
    await Promise.all(rows.map(({ pool }) => pool.close()));
  }
  return Object.fromEntries(rows.map(({ id, tally }) => [id, resultOf(tally)]));
}

function resultOf(tally: Tally): LoadResult {
  const seconds = tally.activeMs / 1000;
  const sorted = Float64Array.from(tally.latencies).sort();
  const requests = sorted.length;
  return {
    requests,
    seconds,
    perSecond: requests / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    serverCpuMsPerRequest: tally.serverCpuMs / requests,
    clientCpuMsPerRequest: tally.clientCpuMs / requests,
    otherCores: Math.max(0, tally.hostCpuMs - tally.serverCpuMs - tally.clientCpuMs) / 1000 / seconds,
    failures: tally.failures,
    ...(tally.firstFailure ? { firstFailure: tally.firstFailure } : {}),
  };
}
