import type { Env } from '../../platform/env';
import { markDead, processStoredEvent, stripeEventMessage, type StripeEventMessage } from './events';

/** Exponential delay between attempts: 5 s, 10 s, 20 s, … capped at 5 minutes. */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(300, 5 * 2 ** Math.max(0, attempt - 1));
}

function log(line: Record<string, unknown>): void {
  console.log(JSON.stringify({ msg: 'stripe-event', ...line }));
}

/**
 * The stripe-events consumer. Each message is acked or retried on its own,
 * so one bad event never holds back (or re-runs) the others in its batch.
 * After max_retries, Queues moves a message to the dead-letter queue.
 */
export async function consumeStripeEvents(batch: MessageBatch<StripeEventMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const parsed = stripeEventMessage.safeParse(message.body);
    if (!parsed.success) {
      log({ level: 'error', outcome: 'malformed-message', messageId: message.id });
      message.ack();
      continue;
    }
    const { eventId, requestId = `queue:${message.id}` } = parsed.data;
    try {
      const outcome = await processStoredEvent(env, eventId, requestId);
      log({ level: outcome.kind === 'dead' ? 'error' : 'info', eventId, requestId, attempt: message.attempts, outcome });
      message.ack();
    } catch (err) {
      const delaySeconds = retryDelaySeconds(message.attempts);
      log({ level: 'warn', eventId, requestId, attempt: message.attempts, outcome: 'retry', delaySeconds, error: String(err) });
      message.retry({ delaySeconds });
    }
  }
}

/** The dead-letter consumer: records the event as dead, visible to operators and replayable. */
export async function consumeDeadStripeEvents(batch: MessageBatch<StripeEventMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const parsed = stripeEventMessage.safeParse(message.body);
    if (parsed.success) {
      // The last transient error, recorded by the main consumer, stays as the reason.
      await markDead(env, parsed.data.eventId);
      log({ level: 'error', eventId: parsed.data.eventId, outcome: 'dead-lettered' });
    }
    message.ack();
  }
}
