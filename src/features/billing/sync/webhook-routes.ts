import { AppError } from '../../../platform/errors';
import { publicApp } from '../../../platform/http/apps';
import { limitBody } from '../../../platform/http/body-limit';
import { requestContext } from '../../../platform/http/request-context';
import { errorMessage } from '../../../platform/log/logger';
import { actAs } from '../../../platform/observe/usage';
import { verifyStripeEvent } from '../stripe';
import { enqueueEvent, storeStripeEvent, stripeEventShape } from './events';

/** Stripe's events are small; a megabyte is generous and still bounded. */
const WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * POST /webhooks/stripe: verify the signature on the raw body, store the
 * event by id (a duplicate is a no-op), enqueue `{eventId}`, answer 200.
 * Processing happens in the queue consumer, off Stripe's request.
 */
export const stripeWebhookRoutes = publicApp().post('/stripe', limitBody(WEBHOOK_BODY_LIMIT_BYTES), async (c) => {
  actAs('stripe');
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

  const ctx = requestContext(c);
  if (await storeStripeEvent(ctx, event, rawBody)) {
    try {
      await enqueueEvent(ctx, { eventId: event.id, requestId: ctx.requestId });
    } catch (err) {
      // Stored, so not lost: the scheduled sweeper re-enqueues unprocessed events.
      ctx.log.warn('stripe event enqueue failed; left for the sweeper', { eventId: event.id, error: errorMessage(err) });
    }
  }
  return c.json({ received: true });
});
