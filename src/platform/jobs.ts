/**
 * Scheduled work: every feature's jobs, then the platform's own (the email
 * outbox, then retention), run one after another on each cron tick. A job that fails is
 * logged and the others still run; the tick writes one log line with what
 * each job did.
 */
import type { ServiceContext } from './context';
import { deliverOutbox } from './email/outbox';
import type { Feature, ScheduledJob } from './feature';
import { errorMessage } from './log/logger';
import { runAsUnit, UnitOfWork } from './observe/usage';
import { finishUnit } from './observe/wide-event';
import { retentionJob } from './retention/job';

/** Sends what the email outbox holds; failed sends are retried here. */
const emailOutboxJob: ScheduledJob = {
  name: 'email.outbox',
  run: async (ctx) => ({ emailsSent: await deliverOutbox(ctx.env, { log: ctx.log }) }),
};

/** Retention runs last: its deletes wait behind the work people see (mail, billing). */
export function scheduledJobs(features: readonly Feature[]): ScheduledJob[] {
  return [...features.flatMap((feature) => feature.jobs ?? []), emailOutboxJob, retentionJob];
}

/**
 * One cron run as a unit of work (platform/observe): its own trace, the
 * system as principal, every job's bindings counted, one `cron` wide event
 * with each job's report.
 */
export async function runScheduledJobs(
  jobs: readonly ScheduledJob[],
  ctx: ServiceContext,
  cron: string,
  now = Date.now(),
  waitUntil: (work: Promise<unknown>) => void = (work) => void work,
): Promise<Record<string, unknown>> {
  const unit = new UnitOfWork('cron', ctx.requestId, { principal: 'system' });
  const { results, failed } = await runAsUnit(unit, () => runJobs(jobs, ctx, now));
  const error = failed.length ? `failed: ${failed.join(', ')}` : undefined;
  finishUnit(unit, { route: cron, extra: { jobs: results }, ...(error ? { error } : {}) }, { env: ctx.env, log: ctx.log, waitUntil });
  return results;
}

async function runJobs(jobs: readonly ScheduledJob[], ctx: ServiceContext, now: number) {
  const results: Record<string, unknown> = {};
  const failed: string[] = [];
  for (const job of jobs) {
    try {
      results[job.name] = await job.run(ctx, now);
    } catch (err) {
      failed.push(job.name);
      results[job.name] = { error: errorMessage(err) };
    }
  }
  return { results, failed };
}
