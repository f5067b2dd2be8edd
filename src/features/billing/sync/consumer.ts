import { serviceContext } from '../../../platform/context';
import type { Env } from '../../../platform/env';
import type { QueueConsumer } from '../../../platform/feature';
import { errorMessage, type Logger } from '../../../platform/log/logger';
import { markDead, processStoredEvent, stripeEventMessage } from './events';

/** Exponential delay between attempts: 5 s, 10 s, 20 s, … capped at 5 minutes. */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(300, 5 * 2 ** Math.max(0, attempt - 1));
}

const isDeadLetterQueue = (queue: string, env: Env) => queue === env.STRIPE_EVENTS_DLQ;

/**
 * The stripe-events consumer (`stripe-events`, `stripe-events-<env>`). Each
 * message is acked or retried on its own, so one bad event never holds back
 * (or re-runs) the others in its batch. After max_retries, Queues moves a
 * message to the dead-letter queue.
 */
export const stripeEventsConsumer: QueueConsumer = {
  accepts: (queue, env) => queue.startsWith('stripe-events') && !isDeadLetterQueue(queue, env),
  async consume(batch, env, log) {
    for (const message of batch.messages) {
      const parsed = stripeEventMessage.safeParse(message.body);
      if (!parsed.success) {
        log.error('stripe-event', { outcome: 'malformed-message', messageId: message.id });
        message.ack();
        continue;
      }
      const { eventId, requestId = `queue:${message.id}` } = parsed.data;
      const ctx = serviceContext(env, requestId, log.with({ requestId }));
      try {
        const outcome = await processStoredEvent(ctx, eventId);
        (outcome.kind === 'dead' ? log.error : log.info)('stripe-event', { requestId, eventId, attempt: message.attempts, outcome });
        message.ack();
      } catch (err) {
        const delaySeconds = retryDelaySeconds(message.attempts);
        log.warn('stripe-event', { requestId, eventId, attempt: message.attempts, outcome: 'retry', delaySeconds, error: errorMessage(err) });
        message.retry({ delaySeconds });
      }
    }
  },
};

/** The dead-letter consumer: records the event as dead, visible to operators and replayable. */
export const deadStripeEventsConsumer: QueueConsumer = {
  accepts: isDeadLetterQueue,
  async consume(batch, env, log: Logger) {
    for (const message of batch.messages) {
      const parsed = stripeEventMessage.safeParse(message.body);
      if (parsed.success) {
        // The last transient error, recorded by the main consumer, stays as the reason.
        await markDead(serviceContext(env, `queue:${message.id}`, log), parsed.data.eventId);
        log.error('stripe-event', { eventId: parsed.data.eventId, outcome: 'dead-lettered' });
      }
      message.ack();
    }
  },
};
