/**
 * Whether a failed Stripe call should be tried again, as Stripe tells the
 * SDK (`Stripe-Should-Retry`, which the SDK obeys before its own rules), and
 * how long an Idempotency-Key holds (24 hours of the emulator's clock).
 * The SDK here retries as the app's does, so the tests count attempts by
 * how many injected failures were used up.
 */
import type Stripe from 'stripe';
import { afterEach, describe, expect, test } from 'vitest';
import type { StripeEmulator } from '../../tools/stripe-emulator/server.ts';
import { cleanUp, control, emulator, sdk } from './stripe-emulator-helpers.ts';

afterEach(cleanUp);

const HOUR = 3600;

function createCustomer(target: StripeEmulator, body: string, idempotencyKey?: string): Promise<Response> {
  return fetch(`${target.url}/v1/customers`, {
    method: 'POST',
    headers: {
      Authorization: 'Bearer sk_test_x',
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(idempotencyKey && { 'Idempotency-Key': idempotencyKey }),
    },
    body,
  });
}

describe('Stripe-Should-Retry', () => {
  test('is false on client errors, which fail the same way however often they are sent', async () => {
    const target = await emulator();
    const headers = { Authorization: 'Bearer sk_test_x' };
    const unknownParameter = await createCustomer(target, 'colour=blue');
    expect(unknownParameter.status).toBe(400);
    expect(unknownParameter.headers.get('stripe-should-retry')).toBe('false');
    const missing = await fetch(`${target.url}/v1/customers/cus_missing`, { headers });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('stripe-should-retry')).toBe('false');
    const unauthenticated = await fetch(`${target.url}/v1/customers`);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('stripe-should-retry')).toBe('false');
    const fine = await fetch(`${target.url}/v1/customers`, { headers });
    expect(fine.headers.get('stripe-should-retry')).toBeNull();
  });

  test('a 500 Stripe says not to retry: the SDK gives up after one attempt, and the key replays the 500', async () => {
    const target = await emulator();
    const stripe = sdk(target, 'sk_test_emulator', 2);
    target.setFaults({ failNext: 2, status: 500, shouldRetry: false });
    await expect(stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'create-a' })).rejects.toMatchObject({
      type: 'StripeAPIError',
      statusCode: 500,
    });
    expect(target.faults().failNext).toBe(1);

    target.setFaults({ failNext: 0 });
    const replayed = await createCustomer(target, 'email=a%40example.com', 'create-a');
    expect(replayed.status).toBe(500);
    expect(replayed.headers.get('stripe-should-retry')).toBe('false');
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect((await stripe.customers.list()).data).toEqual([]);
    await expect(stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'create-a-again' })).resolves.toMatchObject({
      email: 'a@example.com',
    });
  });

  test('a 500 that a retry may get past says true, and the SDK retries it with the same key', async () => {
    const target = await emulator();
    const stripe = sdk(target, 'sk_test_emulator', 1);
    target.setFaults({ failNext: 1, status: 500, shouldRetry: true });
    const raw = await createCustomer(target, 'email=probe%40example.com');
    expect(raw.status).toBe(500);
    expect(raw.headers.get('stripe-should-retry')).toBe('true');

    target.setFaults({ failNext: 1 });
    const customer = await stripe.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'create-b' });
    expect(customer.lastResponse.idempotencyKey).toBe('create-b');
    expect(target.faults().failNext).toBe(0);
    expect((await stripe.customers.list()).data.map((listed) => listed.id)).toEqual([customer.id]);
  });

  test('a lock_timeout 429 is retried by the SDK; a rate limit is not', async () => {
    const target = await emulator();
    const stripe = sdk(target, 'sk_test_emulator', 1);
    target.setFaults({ failNext: 1, status: 429, shouldRetry: true });
    const lock = await fetch(`${target.url}/v1/customers`, { headers: { Authorization: 'Bearer sk_test_x' } });
    expect(lock.status).toBe(429);
    expect(lock.headers.get('stripe-should-retry')).toBe('true');
    expect(await lock.json()).toMatchObject({ error: { code: 'lock_timeout', type: 'invalid_request_error' } });

    target.setFaults({ failNext: 1 });
    await expect(stripe.customers.list()).resolves.toMatchObject({ object: 'list' });

    target.setFaults({ failNext: 2, shouldRetry: null });
    await expect(stripe.customers.list()).rejects.toMatchObject({ type: 'StripeRateLimitError', code: 'rate_limit' });
    expect(target.faults().failNext).toBe(1);
    expect((await control(target, 'POST', '/_emulator/faults', { status: 429, shouldRetry: false })).status).toBe(400);
  });

  test('a second request with a key still running is a 409 idempotency_key_in_use, to be retried', async () => {
    const target = await emulator();
    target.setFaults({ latencyMs: 200 });
    const answers = await Promise.all([
      createCustomer(target, 'email=c%40example.com', 'create-c'),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() => createCustomer(target, 'email=c%40example.com', 'create-c')),
    ]);
    // Whichever reached the emulator first ran; the other met its key in flight.
    const first = answers.find((answer) => answer.status === 200);
    const second = answers.find((answer) => answer.status === 409);
    if (!first || !second) throw new Error(`expected one 200 and one 409, got ${answers.map((answer) => answer.status).join(', ')}`);
    expect(second.headers.get('stripe-should-retry')).toBe('true');
    expect(await second.json()).toMatchObject({
      error: { type: 'idempotency_error', code: 'idempotency_key_in_use', message: expect.stringContaining('create-c') },
    });
    const created = (await first.json()) as Stripe.Customer;
    const again = await createCustomer(target, 'email=c%40example.com', 'create-c');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as Stripe.Customer).id).toBe(created.id);
  });
});

describe('idempotency keys', () => {
  test('expire after 24 hours of the emulator clock', async () => {
    const target = await emulator();
    const stripe = sdk(target);
    const first = await stripe.customers.create({ email: 'd@example.com' }, { idempotencyKey: 'create-d' });
    target.advanceClock({ seconds: 23 * HOUR });
    expect((await stripe.customers.create({ email: 'd@example.com' }, { idempotencyKey: 'create-d' })).id).toBe(first.id);

    target.advanceClock({ seconds: HOUR });
    const second = await stripe.customers.create({ email: 'e@example.com' }, { idempotencyKey: 'create-d' });
    expect(second.id).not.toBe(first.id);
    expect((await stripe.customers.create({ email: 'e@example.com' }, { idempotencyKey: 'create-d' })).id).toBe(second.id);
    expect((await stripe.customers.list()).data).toHaveLength(2);
  });
});
