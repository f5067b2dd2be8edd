import Stripe from 'stripe';
import type { Env } from '../../platform/env';
import { AppError } from '../../platform/errors';
import { traceparentOf } from '../../platform/observe/trace';
import { currentUnit } from '../../platform/observe/usage';

const clients = new Map<string, Stripe>();

/**
 * Every Stripe API request (the SDK's retries included) counts into the
 * unit of work running it and carries its trace: the client is one per
 * isolate, so the unit is the one running when the request is made.
 */
const tracedFetch: typeof fetch = (input, init) => {
  const unit = currentUnit();
  if (!unit) return fetch(input, init);
  unit.count({ stripeCalls: 1 });
  const headers = new Headers(init?.headers);
  headers.set('traceparent', traceparentOf(unit.trace));
  return fetch(input, { ...init, headers });
};

/**
 * The official SDK with the fetch client and WebCrypto, as Workers need.
 * With STRIPE_API_HOST set it talks to the local emulator; without, to
 * Stripe itself (test mode with an sk_test_ key). One client per isolate.
 */
export function stripeClient(env: Env): Stripe {
  const key = [env.STRIPE_SECRET_KEY, env.STRIPE_API_HOST, env.STRIPE_API_PORT, env.STRIPE_API_PROTOCOL].join('|');
  let client = clients.get(key);
  if (!client) {
    client = new Stripe(env.STRIPE_SECRET_KEY, {
      httpClient: Stripe.createFetchHttpClient(tracedFetch),
      // The SDK retries network errors, 409s and 5xx with its own backoff, reusing the idempotency key.
      maxNetworkRetries: 2,
      timeout: 10_000,
      ...(env.STRIPE_API_HOST
        ? { host: env.STRIPE_API_HOST, port: Number(env.STRIPE_API_PORT ?? 443), protocol: env.STRIPE_API_PROTOCOL === 'http' ? 'http' : 'https' }
        : {}),
    });
    clients.set(key, client);
  }
  return client;
}

/** Where the browser goes for Checkout and the portal: Stripe's hosts, or the local emulator (the pages' CSP form-action). */
export function stripeFormTargets(env: Env): string {
  if (!env.STRIPE_API_HOST) return 'https://checkout.stripe.com https://billing.stripe.com';
  const port = env.STRIPE_API_PORT ? `:${env.STRIPE_API_PORT}` : '';
  return `${env.STRIPE_API_PROTOCOL ?? 'https'}://${env.STRIPE_API_HOST}${port}`;
}

const cryptoProvider = Stripe.createSubtleCryptoProvider();

/** How far a signature's timestamp may stray from our clock, either way: Stripe's default tolerance. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Verifies Stripe's signature over the raw body and parses the event. The
 * SDK refuses timestamps older than the tolerance but accepts any in the
 * future (its check is `now - t > tolerance`), so a signed event dated
 * ahead would stay replayable for that long; the future side is checked here.
 */
export async function verifyStripeEvent(env: Env, rawBody: string, signature: string): Promise<Stripe.Event> {
  const event = await stripeClient(env).webhooks.constructEventAsync(rawBody, signature, env.STRIPE_WEBHOOK_SECRET, WEBHOOK_TOLERANCE_SECONDS, cryptoProvider);
  const timestamp = Number(/(?:^|,)\s*t=(\d+)/.exec(signature)?.[1]);
  if (!Number.isFinite(timestamp) || timestamp - Date.now() / 1000 > WEBHOOK_TOLERANCE_SECONDS) throw new Error('Webhook timestamp is outside the tolerance');
  return event;
}

/** Stripe's own "try again" answers: rate limits, its 5xx, and the network. */
function isTransientStripeError(err: unknown): boolean {
  if (err instanceof Stripe.errors.StripeRateLimitError) return true;
  if (err instanceof Stripe.errors.StripeAPIError) return true;
  if (err instanceof Stripe.errors.StripeConnectionError) return true;
  return err instanceof Stripe.errors.StripeError && (err.statusCode ?? 0) >= 500;
}

/**
 * Stripe's "this will never work" answers: a 4xx other than rate limiting
 * and idempotency conflicts (no such subscription, invalid request).
 * Retrying them only fills the dead-letter queue later.
 */
export function isPermanentStripeError(err: unknown): boolean {
  if (!(err instanceof Stripe.errors.StripeError) || isTransientStripeError(err)) return false;
  const status = err.statusCode ?? 0;
  return status >= 400 && status < 500 && status !== 409 && status !== 429;
}

/** Stripe's "no such object" (`resource_missing`): a deleted customer, or a local emulator that restarted. */
export function isMissingInStripe(err: unknown): err is Stripe.errors.StripeInvalidRequestError {
  return err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing';
}

/** The id of an expandable Stripe reference (`"sub_…"` or `{ id: "sub_…", … }`). */
export function idOf(ref: unknown): string | null {
  if (typeof ref === 'string') return ref;
  if (ref && typeof ref === 'object' && 'id' in ref && typeof ref.id === 'string') return ref.id;
  return null;
}

/**
 * Runs work that talks to Stripe for a person waiting on the answer: if
 * Stripe is down or rate-limiting (after the SDK's own retries), they get a
 * 503 that says nothing was changed, not a 500.
 */
export async function whileStripeAnswers<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isTransientStripeError(err)) throw new AppError('unavailable', `Stripe did not answer, so ${what} did not happen. Try again shortly.`);
    throw err;
  }
}
