import { createApp, FEATURES } from './app';
import { serviceContext } from './platform/context';
import type { Env } from './platform/env';
import { runScheduledJobs, scheduledJobs } from './platform/jobs';
import { trackBackground } from './platform/observe/usage';
import { queueHandler } from './platform/queues';

/** Workers finds Durable Object classes by the entry module's exports. */
export { TenantDO } from './features/seats/tenant-do';
export { UsageMeter } from './platform/observe/meter';
export { CallerLimiter } from './features/public-api/caller-limiter';

const app = createApp();
const jobs = scheduledJobs(FEATURES);

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, trackBackground(ctx)),
  queue: queueHandler(FEATURES),
  async scheduled(controller, env, ctx) {
    const requestId = `cron:${controller.cron}:${controller.scheduledTime}`;
    ctx.waitUntil(runScheduledJobs(jobs, serviceContext(env, requestId), controller.cron, Date.now(), (work) => ctx.waitUntil(work)));
  },
} satisfies ExportedHandler<Env>;
