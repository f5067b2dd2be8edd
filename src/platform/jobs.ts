/**
 * Scheduled work: every feature's jobs, then the platform's own (the email
 * outbox), run one after another on each cron tick. A job that fails is
 * logged and the others still run; the tick writes one log line with what
 * each job did.
 */
import type { ServiceContext } from './context';
import { deliverOutbox } from './email/outbox';
import type { Feature, ScheduledJob } from './feature';
import { errorMessage } from './log/logger';

/** Sends what the email outbox holds; failed sends are retried here. */
const emailOutboxJob: ScheduledJob = {
  name: 'email.outbox',
  run: async (ctx) => ({ emailsSent: await deliverOutbox(ctx.env, { log: ctx.log }) }),
};

export function scheduledJobs(features: readonly Feature[]): ScheduledJob[] {
  return [...features.flatMap((feature) => feature.jobs ?? []), emailOutboxJob];
}

export async function runScheduledJobs(jobs: readonly ScheduledJob[], ctx: ServiceContext, cron: string, now = Date.now()): Promise<Record<string, unknown>> {
  const started = Date.now();
  const results: Record<string, unknown> = {};
  let failed = false;
  for (const job of jobs) {
    try {
      results[job.name] = await job.run(ctx, now);
    } catch (err) {
      failed = true;
      results[job.name] = { error: errorMessage(err) };
    }
  }
  const fields = { route: cron, durationMs: Date.now() - started, jobs: results };
  if (failed) ctx.log.error('cron', fields);
  else ctx.log.info('cron', fields);
  return results;
}
