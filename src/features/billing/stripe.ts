import Stripe from 'stripe';
import type { Env } from '../../platform/env';

type StripeEnv = Pick<Env, 'STRIPE_SECRET_KEY' | 'STRIPE_API_HOST' | 'STRIPE_API_PORT' | 'STRIPE_API_PROTOCOL'>;

const clients = new Map<string, Stripe>();

/**
 * The official SDK with the fetch client and WebCrypto, as Workers need.
 * With STRIPE_API_HOST set it talks to the local emulator; without, to
 * Stripe itself (test mode with an sk_test_ key). One client per isolate.
 */
export function stripeClient(env: StripeEnv): Stripe {
  const key = [env.STRIPE_SECRET_KEY, env.STRIPE_API_HOST, env.STRIPE_API_PORT, env.STRIPE_API_PROTOCOL].join('|');
  let client = clients.get(key);
  if (!client) {
    client = new Stripe(env.STRIPE_SECRET_KEY, {
      httpClient: Stripe.createFetchHttpClient(),
      // The SDK retries network errors, 409s and 5xx with its own backoff, reusing the idempotency key.
      maxNetworkRetries: 2,
      timeout: 10_000,
      ...(env.STRIPE_API_HOST
        ? { host: env.STRIPE_API_HOST, port: Number(env.STRIPE_API_PORT ?? 443), protocol: env.STRIPE_API_PROTOCOL ?? 'https' }
        : {}),
    });
    clients.set(key, client);
  }
  return client;
}

const cryptoProvider = Stripe.createSubtleCryptoProvider();

/** Verifies Stripe's signature over the raw body (default tolerance: 5 minutes) and parses the event. */
export function verifyStripeEvent(env: StripeEnv & Pick<Env, 'STRIPE_WEBHOOK_SECRET'>, rawBody: string, signature: string): Promise<Stripe.Event> {
  return stripeClient(env).webhooks.constructEventAsync(rawBody, signature, env.STRIPE_WEBHOOK_SECRET, undefined, cryptoProvider);
}

/** Stripe's own "try again" answers: rate limits, its 5xx, and the network. */
export function isTransientStripeError(err: unknown): boolean {
  if (err instanceof Stripe.errors.StripeRateLimitError) return true;
  if (err instanceof Stripe.errors.StripeAPIError) return true;
  if (err instanceof Stripe.errors.StripeConnectionError) return true;
  return err instanceof Stripe.errors.StripeError && (err.statusCode ?? 0) >= 500;
}
