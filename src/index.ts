import { createApp } from './app';
import { consumeDeadStripeEvents, consumeStripeEvents } from './features/billing/consumer';
import type { StripeEventMessage } from './features/billing/events';
import { runMaintenance } from './features/billing/maintenance';
import type { Env } from './platform/env';

export { TenantDO } from './features/seats/tenant-do';

const app = createApp();

export default {
  fetch: app.fetch,

  /** One handler for both queues: the dead-letter queue is told apart by name. */
  async queue(batch, env) {
    if (batch.queue === env.STRIPE_EVENTS_DLQ) return consumeDeadStripeEvents(batch, env);
    return consumeStripeEvents(batch, env);
  },

  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runMaintenance(env, `cron:${controller.cron}:${controller.scheduledTime}`));
  },
} satisfies ExportedHandler<Env, StripeEventMessage>;
