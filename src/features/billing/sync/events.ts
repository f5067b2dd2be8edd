/**
 * Stripe events: stored by the webhook, processed by the queue consumer,
 * swept by the scheduled job, replayed by operators. The stored row is the
 * record of truth for "did we handle this event": nothing is lost if the
 * queue send fails, and nothing is applied twice if it is delivered twice.
 */
import { and, asc, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ServiceContext } from '../../../platform/context';
import { stripeEvents } from '../../../platform/db/schema';
import { AppError, notFound } from '../../../platform/errors';
import { idOf, isPermanentStripeError } from '../stripe';
import { PermanentSyncError, syncSubscriptionFromStripe, type SyncOutcome } from './subscription';

/** What we read of a verified event; anything else in it is Stripe's business. */
export const stripeEventShape = z.object({
  id: z.string().startsWith('evt_'),
  type: z.string().min(1),
  data: z.object({ object: z.looseObject({ object: z.string(), id: z.string().optional() }) }),
});

/** A queue message: which stored event to process, and the id of the request that received it. */
export const stripeEventMessage = z.strictObject({ eventId: z.string().startsWith('evt_'), requestId: z.string().optional() });
export type StripeEventMessage = z.infer<typeof stripeEventMessage>;

export type StoredEvent = typeof stripeEvents.$inferSelect;

/** The subscription an event is about, or null for events we do not act on. */
function subscriptionIdOf(event: Pick<z.infer<typeof stripeEventShape>, 'data'>): string | null {
  const { object } = event.data;
  switch (object.object) {
    case 'subscription':
      return object.id ?? null;
    case 'checkout.session':
      return idOf(object.subscription);
    case 'invoice': {
      // Stripe's API versions moved the invoice's subscription under `parent`.
      const parent = object.parent as { subscription_details?: { subscription?: unknown } | null } | null | undefined;
      return idOf(parent?.subscription_details?.subscription) ?? idOf(object.subscription);
    }
    default:
      return null;
  }
}

/** Stores a verified event once. True when it still needs processing (new, or stored but never processed). */
export async function storeStripeEvent(ctx: ServiceContext, event: z.infer<typeof stripeEventShape>, rawBody: string): Promise<boolean> {
  const inserted = await ctx.global.insert(stripeEvents).values({ id: event.id, type: event.type, payload: rawBody }).onConflictDoNothing().returning({ id: stripeEvents.id });
  if (inserted.length > 0) return true;
  const existing = await ctx.global.first(stripeEvents, eq(stripeEvents.id, event.id));
  return !existing?.processedAt;
}

export type ProcessOutcome = { kind: 'already-processed' } | { kind: 'not-ours'; type: string } | { kind: 'dead'; error: string } | SyncOutcome;

/**
 * Applies one stored event: fetch the subscription it names from Stripe,
 * write it, push the limits, mark the event processed. Transient failures
 * throw (the queue retries); permanent ones mark the event dead.
 */
export async function processStoredEvent(ctx: ServiceContext, eventId: string): Promise<ProcessOutcome> {
  const row = await ctx.global.first(stripeEvents, eq(stripeEvents.id, eventId));
  if (!row) throw new PermanentSyncError(`event ${eventId} was never stored`);
  if (row.processedAt) return { kind: 'already-processed' };
  await ctx.global.update(stripeEvents).set({ attempts: sql`${stripeEvents.attempts} + 1` }).where(eq(stripeEvents.id, eventId));

  const event = stripeEventShape.parse(JSON.parse(row.payload));
  const subscriptionId = subscriptionIdOf(event);
  if (!subscriptionId) {
    await markProcessed(ctx, eventId);
    return { kind: 'not-ours', type: event.type };
  }
  try {
    const outcome = await syncSubscriptionFromStripe(ctx, subscriptionId);
    await markProcessed(ctx, eventId);
    return outcome;
  } catch (err) {
    if (!(err instanceof PermanentSyncError) && !isPermanentStripeError(err)) {
      await recordFailure(ctx, eventId, err);
      throw err;
    }
    const error = err instanceof Error ? err.message : String(err);
    await markDead(ctx, eventId, error);
    return { kind: 'dead', error };
  }
}

async function markProcessed(ctx: ServiceContext, eventId: string): Promise<void> {
  await ctx.global.update(stripeEvents).set({ processedAt: Date.now(), deadAt: null, lastError: null }).where(eq(stripeEvents.id, eventId));
}

async function recordFailure(ctx: ServiceContext, eventId: string, err: unknown): Promise<void> {
  await ctx.global
    .update(stripeEvents)
    .set({ lastError: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })
    .where(eq(stripeEvents.id, eventId));
}

/** Marks an unprocessed event dead; `error` replaces the last recorded error when given. */
export async function markDead(ctx: ServiceContext, eventId: string, error?: string): Promise<void> {
  await ctx.global
    .update(stripeEvents)
    .set({ deadAt: Date.now(), ...(error ? { lastError: error } : {}) })
    .where(and(eq(stripeEvents.id, eventId), isNull(stripeEvents.processedAt)));
}

export async function enqueueEvent(ctx: ServiceContext, message: StripeEventMessage): Promise<void> {
  await ctx.env.STRIPE_EVENTS.send(message, { contentType: 'json' });
}

/** Stored events never processed (and not dead), received before `olderThan`: what the sweeper re-enqueues. */
export async function unprocessedEvents(ctx: ServiceContext, olderThan: number, limit: number): Promise<StoredEvent[]> {
  return ctx.global
    .select(stripeEvents, isNull(stripeEvents.processedAt), isNull(stripeEvents.deadAt), lt(stripeEvents.receivedAt, olderThan))
    .orderBy(asc(stripeEvents.receivedAt))
    .limit(limit);
}

export async function deadEvents(ctx: ServiceContext, limit: number): Promise<StoredEvent[]> {
  return ctx.global.select(stripeEvents, isNotNull(stripeEvents.deadAt), isNull(stripeEvents.processedAt)).orderBy(asc(stripeEvents.deadAt)).limit(limit);
}

/** An operator's replay: the event leaves the dead list and goes back on the queue. */
export async function replayEvent(ctx: ServiceContext, eventId: string): Promise<void> {
  const row = await ctx.global.first(stripeEvents, eq(stripeEvents.id, eventId));
  if (!row) throw notFound('Event');
  if (row.processedAt) throw new AppError('conflict', 'This event was already processed');
  await ctx.global.update(stripeEvents).set({ deadAt: null }).where(eq(stripeEvents.id, eventId));
  await enqueueEvent(ctx, { eventId, requestId: ctx.requestId });
}
