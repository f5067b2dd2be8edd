/**
 * `npm run bench`: the app's API against its physical floor, side by side in
 * one run on one machine. A benchmark, not a test: it prints figures and
 * exits non-zero only when a request fails or a figure is missing.
 *
 * The production bundle (`wrangler deploy --dry-run`) is served by
 * Miniflare's API with the bindings wrangler.toml gives it (local D1, the
 * tenant Durable Object, the Stripe queues and their consumers), beside two
 * comparators built here (a bare Hono hello; Hono + one D1 point query on the
 * same database), and the local Stripe emulator. Rows, each measured with a
 * fixed number of keep-alive connections after a warm-up:
 *
 *   hello, one-query (comparators) · GET /api/me · members list · projects
 *   list · project create · invitation create · webhook ingest
 *
 * then the webhook → limits applied latency (p50/p99). Also the bundle's size
 * and the Worker's cold start. docs/benchmarks/api.md says how to read them.
 *
 * Options: --rounds N (3) --duration S (10) --warmup S (3) --connections N (50)
 *          --latency-samples N (20) --cold-starts N (3; 0 skips) --tenants N (0: no growth phase)
 *          --quick (1 round, 2 s, 1 s warm-up, 5 samples, 1 cold start) --json FILE
 */

import { runInOwnProcessGroup } from './bench/processes.ts';

// Only the group leader loads the benchmark (wrangler, Miniflare): the outer process just waits and sweeps.
await runInOwnProcessGroup(import.meta.filename);
await import('./bench/main.ts');
