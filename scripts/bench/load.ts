/**
 * The load generator of `npm run bench`: a fixed number of keep-alive HTTP
 * connections, each sending its next request as soon as the previous answer
 * is read (closed loop), first for a warm-up whose answers are discarded,
 * then for the measured window. undici is Node's own HTTP client (the one
 * behind `fetch`) without the WHATWG stream layers, so the generator takes
 * as little as it can of the two cores it shares with workerd.
 */
import { Pool } from 'undici';

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  origin: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** The answer every request must get; anything else is a failure. */
  status: number;
  /** The next request to send (called once per request, so it can make each body new). */
  request: () => RequestSpec | Promise<RequestSpec>;
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

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  // A request that gets no answer in 30 s is a failure with a message, not a benchmark that hangs.
  const pool = new Pool(options.origin, { connections: options.connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });

  /** `connections` closed loops until `until` (performance.now()); a loop stops at its first transport error. */
  async function phase(until: number): Promise<Phase> {
    const result: Phase = { latencies: [], failures: 0, lastAnswerAt: performance.now() };
    const fail = (reason: string) => {
      result.failures++;
      result.firstFailure ??= reason;
    };
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (performance.now() < until) {
          const spec = await options.request();
          const started = performance.now();
          try {
            const answer = await pool.request({ method: spec.method, path: spec.path, headers: spec.headers, body: spec.body });
            const text = await answer.body.text();
            const answeredAt = performance.now();
            result.lastAnswerAt = Math.max(result.lastAnswerAt, answeredAt);
            if (answer.statusCode === options.status) result.latencies.push(answeredAt - started);
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

  try {
    const warmup = await phase(performance.now() + options.warmupSeconds * 1000);
    const started = performance.now();
    const serverCpuBefore = options.serverCpuMs();
    const clientCpuBefore = process.cpuUsage();
    const hostCpuBefore = options.hostCpuMs();
    const measured = await phase(started + options.seconds * 1000);
    const serverCpu = options.serverCpuMs() - serverCpuBefore;
    const clientUsage = process.cpuUsage(clientCpuBefore);
    const clientCpu = (clientUsage.user + clientUsage.system) / 1000;
    const hostCpu = options.hostCpuMs() - hostCpuBefore;
    const seconds = (measured.lastAnswerAt - started) / 1000;
    const sorted = Float64Array.from(measured.latencies).sort();
    const requests = sorted.length;
    const firstFailure = warmup.firstFailure ?? measured.firstFailure;
    return {
      requests,
      seconds,
      perSecond: requests / seconds,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      serverCpuMsPerRequest: serverCpu / requests,
      clientCpuMsPerRequest: clientCpu / requests,
      otherCores: Math.max(0, hostCpu - serverCpu - clientCpu) / 1000 / seconds,
      failures: warmup.failures + measured.failures,
      ...(firstFailure ? { firstFailure } : {}),
    };
  } finally {
    await pool.close();
  }
}
