/**
 * This isolate's recent requests (status and duration), for the error rate
 * and p95 latency on /ops/health. One isolate sees a share of the traffic:
 * locally that is all of it; deployed, the fleet-wide figures are the
 * Workers Logs / Analytics Engine queries in docs/operations/slo.md.
 */
const WINDOW_MS = 60 * 60_000;
const MAX_SAMPLES = 20_000;

interface Sample {
  at: number;
  status: number;
  durationMs: number;
}

const samples: Sample[] = [];

export function recordRequest(status: number, durationMs: number, at = Date.now()): void {
  samples.push({ at, status, durationMs });
  while (samples.length > MAX_SAMPLES || (samples[0] && samples[0].at < at - WINDOW_MS)) samples.shift();
}

export interface RequestStats {
  requests: number;
  /** Share of requests answered 5xx, 0 with no requests. */
  errorRate: number;
  /** 95th percentile duration in ms, 0 with no requests. */
  p95Ms: number;
}

export function requestStats(windowMs: number, now = Date.now()): RequestStats {
  const recent = samples.filter((s) => s.at >= now - windowMs);
  if (!recent.length) return { requests: 0, errorRate: 0, p95Ms: 0 };
  const durations = recent.map((s) => s.durationMs).sort((a, b) => a - b);
  const errors = recent.filter((s) => s.status >= 500).length;
  return {
    requests: recent.length,
    errorRate: errors / recent.length,
    p95Ms: durations[Math.min(durations.length - 1, Math.ceil(0.95 * durations.length) - 1)] ?? 0,
  };
}
