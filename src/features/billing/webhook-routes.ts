import { Hono } from 'hono';
import type { AppEnv } from '../../platform/env';
import { limitBody } from '../../platform/http/body-limit';
import { AppError } from '../../platform/http/errors';
import { enqueueEvent, storeStripeEvent, stripeEventShape } from './events';
import { verifyStripeEvent } from './stripe';

/** Stripe's events are small; a megabyte is generous and still bounded. */
const WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * POST /webhooks/stripe: verify the signature on the raw body, store the
 * event by id (a duplicate is a no-op), enqueue `{eventId}`, answer 200.
 * Processing happens in the queue consumer, off Stripe's request.
 */
export const stripeWebhookRoutes = new Hono<AppEnv>().post('/stripe', limitBody(WEBHOOK_BODY_LIMIT_BYTES), async (c) => {
  const signature = c.req.header('Stripe-Signature');
  if (!signature) throw new AppError('bad_request', 'Missing Stripe-Signature header');
  const rawBody = await c.req.text();
  let verified: unknown;
  try {
    verified = await verifyStripeEvent(c.env, rawBody, signature);
  } catch {
    throw new AppError('bad_request', 'Invalid Stripe signature');
  }
  const parsed = stripeEventShape.safeParse(verified);
  if (!parsed.success) throw new AppError('validation_failed', 'Not a Stripe event', parsed.error.issues);
  const event = parsed.data;

  if (await storeStripeEvent(c.env, event, rawBody)) {
    try {
      await enqueueEvent(c.env, { eventId: event.id, requestId: c.var.requestId });
    } catch (err) {
      // Stored, so not lost: the scheduled sweeper re-enqueues unprocessed events.
      console.warn(JSON.stringify({ level: 'warn', msg: 'stripe event enqueue failed; left for the sweeper', eventId: event.id, error: String(err) }));
    }
  }
  return c.json({ received: true });
});
