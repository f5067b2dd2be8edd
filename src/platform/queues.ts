/**
 * One `queue()` handler for the whole Worker: each batch goes to the
 * feature consumer that accepts its queue. A batch no consumer accepts is
 * retried (a misconfigured binding shows up in the logs, nothing is lost).
 */
import type { Env } from './env';
import type { Feature } from './feature';
import { createLogger } from './log/logger';

export function queueHandler(features: readonly Feature[]) {
  const consumers = features.flatMap((feature) => feature.queues ?? []);
  return async function queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    const log = createLogger(undefined, { route: batch.queue });
    const consumer = consumers.find((candidate) => candidate.accepts(batch.queue, env));
    if (!consumer) {
      log.error('queue.unrouted', { messages: batch.messages.length });
      batch.retryAll();
      return;
    }
    await consumer.consume(batch, env, log);
  };
}
