/**
 * `npm run chaos`: starts the real local stack, drives a steady workload,
 * runs the experiments (experiments.ts) one after another, checks the
 * invariants after each, writes docs/operations/chaos-report.md, and exits
 * non-zero when any experiment's prediction or invariant failed.
 *
 *   npm run chaos                      everything (under 10 minutes)
 *   npm run chaos -- --quick           the CI subset (test/node/chaos.test.ts)
 *   npm run chaos -- --only d1-faults,cron-twice
 *   npm run chaos -- --report path.md  write the report elsewhere
 *   npm run chaos -- --keep            keep the temp dir (logs, D1, objects)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Controls } from './client.ts';
import { EXPERIMENTS, type Experiment, type Injection } from './experiments.ts';
import { Harness, sleep } from './harness.ts';
import { renderReport, type ExperimentResult } from './report.ts';
import { ROOT, Stack } from './stack.ts';
import { statsOf, Workload } from './workload.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    report: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const QUICK = args.quick ?? false;
const REPORT = args.report ?? (QUICK ? join(ROOT, '.tmp', 'chaos-report.quick.md') : join(ROOT, 'docs', 'operations', 'chaos-report.md'));
/** The compressed cron period (production: 5 minutes). */
const CRON_EVERY_MS = 10_000;
const BASELINE_MS = QUICK ? 1000 : 4000;
const DEFAULT_CONVERGE_MS = 60_000;
/** After a fault, the workload must run this long without a failed request to count as recovered. */
const QUIET_MS = QUICK ? 1000 : 3000;
const SERVICE_RECOVERY_MAX_MS = 60_000;

function selected(): Experiment[] {
  if (args.only) {
    const ids = args.only.split(',');
    const unknown = ids.filter((id) => !EXPERIMENTS.some((e) => e.id === id));
    if (unknown.length) throw new Error(`unknown experiments: ${unknown.join(', ')}; known: ${EXPERIMENTS.map((e) => e.id).join(', ')}`);
    return EXPERIMENTS.filter((e) => ids.includes(e.id));
  }
  return EXPERIMENTS.filter((e) => !QUICK || e.quick);
}

const log = (line: string) => console.log(line);

/** Whatever an experiment did, the next one starts with no fault in place. */
async function clearFaults(h: Harness): Promise<void> {
  await h.stack.proxy?.up();
  await h.controls.clearStripeFaults().catch(() => undefined);
  await h.controls.setWebhookUrl(`${h.stack.appUrl}/webhooks/stripe`).catch(() => undefined);
  await h.controls.setWorkerFaults({ d1FailRate: 0, crashBatches: 0 }).catch(() => undefined);
}

/**
 * With the workload still running after the fault: waits for a quiet spell
 * with no failed request, and answers how long after the fault the last
 * failure came (0 when none did).
 */
async function serviceRecovery(h: Harness, faultEndedAt: number): Promise<number> {
  const deadline = faultEndedAt + SERVICE_RECOVERY_MAX_MS;
  while (Date.now() < deadline) {
    const lastFailure = h.workload.since(faultEndedAt).findLast((r) => r.outcome === 'failed');
    if (Date.now() - Math.max(faultEndedAt, lastFailure?.at ?? 0) >= QUIET_MS) break;
    await sleep(250);
  }
  const lastFailure = h.workload.since(faultEndedAt).findLast((r) => r.outcome === 'failed');
  return lastFailure ? lastFailure.at - faultEndedAt : 0;
}

async function runExperiment(h: Harness, experiment: Experiment): Promise<ExperimentResult> {
  log(`▶ ${experiment.id}: ${experiment.title}`);
  const window = await h.window();
  await sleep(BASELINE_MS);
  const steady = statsOf(h.workload.since(window.startedAt));
  let injection: Injection;
  let error: string | undefined;
  try {
    injection = await experiment.inject(h);
  } catch (err) {
    error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`  experiment error: ${error}`);
    const now = Date.now();
    injection = { fault: 'the experiment did not complete', startedAt: window.startedAt, endedAt: now, figures: {}, checks: [] };
  } finally {
    await clearFaults(h);
  }
  const during = statsOf(h.workload.since(injection.startedAt, injection.endedAt));
  const serviceRecoveryMs = await serviceRecovery(h, injection.endedAt);
  const convergence = await h.converge(window, injection.endedAt, experiment.convergeTimeoutMs ?? DEFAULT_CONVERGE_MS);
  const afterRecords = h.workload.since(injection.endedAt);
  const verdict = !error && convergence.ok && injection.checks.every((c) => c.ok) ? 'pass' : 'fail';
  const result: ExperimentResult = {
    id: experiment.id,
    title: experiment.title,
    hypothesis: experiment.hypothesis,
    steady,
    injection,
    during,
    after: statsOf(afterRecords),
    serviceRecoveryMs,
    convergence,
    verdict,
    error,
  };
  log(`  ${verdict === 'pass' ? '✓ pass' : '✗ FAIL'} in ${((Date.now() - window.startedAt) / 1000).toFixed(0)} s: ${during.failed}/${during.ops} failed during, converged ${convergence.ms === null ? 'never' : `${(convergence.ms / 1000).toFixed(1)} s`} after the fault`);
  for (const c of injection.checks.filter((x) => !x.ok)) log(`    prediction failed: ${c.name}: ${c.detail}`);
  for (const i of convergence.invariants.filter((x) => !x.ok)) log(`    invariant broken: ${i.name}: ${i.violations.slice(0, 3).join(' | ')}`);
  return result;
}

async function main(): Promise<number> {
  const started = Date.now();
  const loadStart = loadavg()[0] ?? 0;
  const experiments = selected();
  const stack = new Stack();
  let stopping = false;
  const stopNow = () => {
    if (stopping) return;
    stopping = true;
    stack.killAllNow();
  };
  process.on('exit', stopNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopNow();
      if (!args.keep) rmSync(stack.dir, { recursive: true, force: true });
      process.exit(130);
    });
  }

  log(`chaos: ${QUICK ? 'quick' : 'full'} run, ${experiments.length} experiments; state in ${stack.dir}`);
  try {
    await stack.start();
    const stackStartMs = Date.now() - started;
    log(`stack up in ${(stackStartMs / 1000).toFixed(1)} s: app ${stack.appUrl}, Stripe emulator ${stack.emulatorUrl} (relay :${stack.proxy?.port})`);
    const controls = new Controls(stack);
    const workload = new Workload(stack.appUrl, controls, randomBytes(3).toString('hex'));
    const h = new Harness(stack, controls, workload, QUICK, log);
    const tenantCount = QUICK ? 3 : 5;
    for (let i = 1; i <= tenantCount; i++) await workload.createTenant(`t${i}`);
    h.startBackground(CRON_EVERY_MS);
    workload.start();
    await sleep(QUICK ? 1000 : 4000);

    const results: ExperimentResult[] = [];
    for (const experiment of experiments) results.push(await runExperiment(h, experiment));

    log('▶ final invariants');
    const final = await h.converge({ startedAt: started, crossTenantFrom: 0, auditFrom: 0, eventsFrom: 0 }, Date.now(), DEFAULT_CONVERGE_MS);
    await workload.stop();
    h.stopBackground();
    const report = renderReport({
      mode: QUICK ? 'quick' : 'full',
      startedAt: new Date(started),
      durationMs: Date.now() - started,
      stackStartMs,
      versions: {
        node: process.version,
        wrangler: `wrangler ${(JSON.parse(readFileSync(join(ROOT, 'node_modules', 'wrangler', 'package.json'), 'utf8')) as { version: string }).version}`,
      },
      host: { cpus: cpus().length, loadStart, loadEnd: loadavg()[0] ?? 0 },
      tenants: tenantCount,
      cronEveryMs: CRON_EVERY_MS,
      workload: statsOf(workload.records),
      results,
      final,
      command: `npm run chaos${QUICK ? ' -- --quick' : ''}`,
    });
    mkdirSync(dirname(REPORT), { recursive: true });
    writeFileSync(REPORT, report);
    const failed = results.filter((r) => r.verdict === 'fail');
    log(`${results.length - failed.length}/${results.length} experiments passed; final invariants ${final.ok ? 'hold' : 'BROKEN'}; ${((Date.now() - started) / 1000).toFixed(0)} s; report: ${relative(process.cwd(), REPORT)}`);
    return failed.length === 0 && final.ok ? 0 : 1;
  } finally {
    await stack.stop({ keep: args.keep ?? false });
    stopping = true;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
