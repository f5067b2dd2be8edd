/**
 * One `queue()` handler for the whole Worker: each batch goes to the
 * feature consumer that accepts its queue. A batch no consumer accepts is
 * retried (a misconfigured binding shows up in the logs, nothing is lost).
 *
 * Each message is its own unit of work (platform/observe): a child span of
 * the `traceparent` its sender put in the body (stripped before the
 * consumer sees it), its bindings counted, one `queue.message` wide event.
 * The consumer is handed a batch of that one message.
 */
import type { Env } from './env';
import type { Feature } from './feature';
import { createLogger } from './log/logger';
import { instrumentEnv } from './observe/instrument';
import { runAsUnit, UnitOfWork } from './observe/usage';
import { finishUnit } from './observe/wide-event';

/** The body without the trace the producer added, and that trace. */
function untrace(body: unknown): { body: unknown; traceparent: string | null; requestId: string | null } {
  if (typeof body !== 'object' || body === null || !('traceparent' in body)) return { body, traceparent: null, requestId: null };
  const { traceparent, ...rest } = body as Record<string, unknown>;
  return { body: rest, traceparent: typeof traceparent === 'string' ? traceparent : null, requestId: typeof rest.requestId === 'string' ? rest.requestId : null };
}

/** A batch of one message, as consumers take batches. */
function batchOf(batch: MessageBatch<unknown>, message: Message<unknown>, body: unknown): MessageBatch<unknown> {
  const one: Message<unknown> = {
    id: message.id,
    timestamp: message.timestamp,
    attempts: message.attempts,
    body,
    ack: () => message.ack(),
    retry: (options) => message.retry(options),
  };
  return { queue: batch.queue, metadata: batch.metadata, messages: [one], ackAll: () => message.ack(), retryAll: (options) => message.retry(options) };
}

export function queueHandler(features: readonly Feature[]) {
  const consumers = features.flatMap((feature) => feature.queues ?? []);
  return async function queue(batch: MessageBatch<unknown>, rawEnv: Env, ctx: ExecutionContext): Promise<void> {
    const env = instrumentEnv(rawEnv);
    const log = createLogger(undefined, { route: batch.queue });
    const consumer = consumers.find((candidate) => candidate.accepts(batch.queue, env));
    if (!consumer) {
      log.error('queue.unrouted', { messages: batch.messages.length });
      batch.retryAll();
      return;
    }
    for (const message of batch.messages) {
      const { body, traceparent, requestId } = untrace(message.body);
      const unit = new UnitOfWork('queue.message', requestId ?? `queue:${message.id}`, { traceparent, principal: 'system' });
      const unitLog = log.with({ traceId: unit.trace.traceId, spanId: unit.trace.spanId });
      const io = { env, log, waitUntil: (work: Promise<unknown>) => ctx.waitUntil(work) };
      try {
        await runAsUnit(unit, () => consumer.consume(batchOf(batch, message, body), env, unitLog));
        finishUnit(unit, { route: batch.queue, extra: { messageId: message.id, attempt: message.attempts } }, io);
      } catch (err) {
        finishUnit(unit, { route: batch.queue, error: err, extra: { messageId: message.id, attempt: message.attempts } }, io);
        message.retry();
      }
    }
  };
}
