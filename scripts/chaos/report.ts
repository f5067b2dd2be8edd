/**
 * docs/operations/chaos-report.md, written by the run from what it measured.
 */
import type { Convergence } from './harness.ts';
import type { Check, Injection } from './experiments.ts';
import { INVARIANTS } from './invariants.ts';
import type { OpStats } from './workload.ts';

export interface ExperimentResult {
  id: string;
  title: string;
  hypothesis: string;
  steady: OpStats;
  injection: Injection;
  during: OpStats;
  after: OpStats;
  /** From the end of the fault to the last failed workload request before a quiet spell (0: none failed after it). */
  serviceRecoveryMs: number;
  convergence: Convergence;
  verdict: 'pass' | 'fail';
  error?: string;
}

export interface RunSummary {
  mode: 'full' | 'quick';
  startedAt: Date;
  durationMs: number;
  stackStartMs: number;
  versions: Record<string, string>;
  /** The host: CPUs and 1-minute load average at the start and the end (the latencies depend on it). */
  host: { cpus: number; loadStart: number; loadEnd: number };
  tenants: number;
  cronEveryMs: number;
  workload: OpStats;
  results: ExperimentResult[];
  final: Convergence;
  command: string;
}

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function stats(label: string, s: OpStats): string {
  return `| ${label} | ${s.ops} | ${s.good} | ${s.refused} | ${s.failed} | ${pct(s.availability)} | ${s.p50Ms} ms | ${s.p95Ms} ms |`;
}

function checks(list: readonly Check[]): string[] {
  return list.map((c) => `- ${c.ok ? '✅' : '❌'} ${c.name}: ${cell(c.detail)}`);
}

function invariantLines(convergence: Convergence): string[] {
  return convergence.invariants.map((i) => {
    const head = `- ${i.ok ? '✅' : '❌'} ${INVARIANTS[i.name]}`;
    if (i.ok) return head;
    const shown = i.violations.slice(0, 8).map((v) => `  - ${cell(v)}`);
    const more = i.violations.length > 8 ? [`  - … and ${i.violations.length - 8} more`] : [];
    return [head, ...shown, ...more].join('\n');
  });
}

function failures(s: OpStats): string {
  const entries = Object.entries(s.failures).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([k, n]) => `${n} × \`${cell(k)}\``).join(', ') : 'none';
}

export function renderReport(run: RunSummary): string {
  const passed = run.results.filter((r) => r.verdict === 'pass').length;
  const lines: string[] = [
    '# Chaos report',
    '',
    `Written by \`${run.command}\` on ${run.startedAt.toISOString()} (${run.mode} run, ${seconds(run.durationMs)}). Do not edit by hand: run it again.`,
    'What the experiments are and how the harness works: [failure-testing.md](failure-testing.md#chaos-experiments-on-the-running-stack).',
    '',
    `**${passed} of ${run.results.length} experiments passed; invariants at the end: ${run.final.ok ? 'all hold' : 'BROKEN'}.**`,
    '',
    '## The system under test',
    '',
    `- The Worker under \`wrangler dev\` (${run.versions.wrangler}, workerd) from a generated config whose \`main\` is \`scripts/chaos/worker/fault-entry.ts\` (the real Worker and TenantDO plus fault seams), D1, Durable Objects and Queues persisted to a temp dir; the Stripe emulator as its own process pushing signed webhooks; a TCP relay between the Worker and Stripe. Node ${run.versions.node}. Started in ${seconds(run.stackStartMs)}.`,
    `- Host: ${run.host.cpus} CPUs shared with other work; 1-minute load average ${run.host.loadStart.toFixed(1)} at the start, ${run.host.loadEnd.toFixed(1)} at the end. Latencies are this machine's, not a benchmark.`,
    `- Steady workload: ${run.tenants} tenants, each driven by its owner in a loop: sign-ins, reads (me, projects, billing, members), projects created and deleted, invitations accepted by newly signed-up users, checkouts paid on the emulator, seat increases and reductions, and probes of the other tenants' data. Experiments add lab tenants of their own.`,
    `- The cron (\`*/5 * * * *\` in production) is fired by the harness through \`/__scheduled\` every ${run.cronEveryMs / 1000} s, and every 5 s while invariants converge; \`wrangler dev\` never fires it.`,
    '- Invariants are checked after every experiment with the workload paused, from outside: D1 and each Durable Object read as SQLite files, the emulator\'s state and events, `/ops/stripe-events`, and the workload\'s own probes. An object whose holders differ from D1 is reconciled by the harness (the call its 10-minute alarm makes); what that changed is listed.',
    '- *Service recovery*: from the end of the fault to the last failed workload request. *Convergence*: from the end of the fault until every invariant held.',
    '',
    '## Results',
    '',
    '| experiment | verdict | failed requests during the fault | service recovery | convergence |',
    '|---|---|---|---|---|',
    ...run.results.map(
      (r) => `| [${r.title}](#${r.id}) | ${r.verdict === 'pass' ? '✅ pass' : '❌ fail'} | ${r.during.failed} of ${r.during.ops} | ${seconds(r.serviceRecoveryMs)} | ${seconds(r.convergence.ms)} |`,
    ),
    '',
    `Whole run: ${run.workload.ops} workload requests, ${pct(run.workload.availability)} answered as intended (success or a correct refusal), p50 ${run.workload.p50Ms} ms, p95 ${run.workload.p95Ms} ms.`,
    '',
  ];
  for (const r of run.results) {
    lines.push(
      `<a id="${r.id}"></a>`,
      `### ${r.title}`,
      '',
      `**Hypothesis.** ${r.hypothesis}`,
      '',
      `**Fault.** ${r.injection.fault}.`,
      '',
      '| workload | requests | good | refused as intended | failed | as intended | p50 | p95 |',
      '|---|---|---|---|---|---|---|---|',
      stats('steady state (before)', r.steady),
      stats('during the fault', r.during),
      stats('after the fault', r.after),
      '',
      `Failures during the fault: ${failures(r.during)}.`,
      '',
      '**Predictions.**',
      ...checks(r.injection.checks),
      ...(r.error ? [`- ❌ the experiment itself failed: ${cell(r.error)}`] : []),
      '',
      `**Invariants** (${r.convergence.checks} checks):`,
      ...invariantLines(r.convergence),
      '',
      '**Figures.**',
      ...Object.entries(r.injection.figures).map(([k, v]) => `- ${k}: ${cell(String(v))}`),
      `- seat holders changed by forced reconciliation: ${r.convergence.reconciled.length ? r.convergence.reconciled.slice(0, 10).join(', ') : 'none'}`,
      '',
      `**Verdict: ${r.verdict === 'pass' ? 'pass' : 'FAIL'}.** Service recovery ${seconds(r.serviceRecoveryMs)}, convergence ${seconds(r.convergence.ms)}.`,
      '',
    );
  }
  lines.push('## Invariants at the end of the run', '', ...invariantLines(run.final), '');
  return lines.join('\n');
}
