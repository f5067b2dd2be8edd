/**
 * Driving the Stripe emulator from inside the Worker tests: the hosted
 * checkout form, the operator controls, and pull-mode webhook delivery (the
 * emulator cannot reach a Worker that has no address, so the test posts the
 * signed events to the Worker itself, exactly as Stripe would).
 */
import { env } from 'cloudflare:workers';
import Stripe from 'stripe';
import type { PulledEvent } from '../../tools/stripe-emulator/webhooks.ts';
import { expect } from 'vitest';
import { call, type SignedUp } from './helpers';

/** The tests' own view of "Stripe": the emulator, through the same SDK the app uses. */
export const testStripe = new Stripe('sk_test_vitest', {
  httpClient: Stripe.createFetchHttpClient(),
  host: '127.0.0.1',
  port: Number(env.STRIPE_API_PORT),
  protocol: 'http',
  maxNetworkRetries: 0,
});

export function emulatorUrl(path: string): string {
  return `http://127.0.0.1:${env.STRIPE_API_PORT}${path}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the emulator's JSON, checked by the assertions that read it
export async function emulator<T = any>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(emulatorUrl(path), body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`emulator ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Submits the hosted checkout page's "pay" form, as a person would. */
export async function payCheckout(checkoutUrl: string): Promise<Response> {
  const page = await fetch(checkoutUrl);
  const html = await page.text();
  const action = /<form[^>]*method="post"[^>]*action="([^"]*\/pay)"/i.exec(html)?.[1] ?? /action="([^"]*\/pay)"/i.exec(html)?.[1];
  if (!action) throw new Error(`no pay form on ${checkoutUrl}`);
  return fetch(new URL(action, checkoutUrl), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
}

/** The emulator's events since `cursor` that concern `customerId`. */
export async function eventsFor(customerId: string, cursor = 0): Promise<{ events: PulledEvent[]; cursor: number }> {
  const pulled = await emulator<{ events: PulledEvent[]; cursor: number }>(`/_emulator/events?since=${cursor}`);
  const mine = pulled.events.filter((e) => {
    const object = JSON.parse(e.payload).data.object as { customer?: string | { id: string }; id: string; object: string };
    const customer = typeof object.customer === 'string' ? object.customer : object.customer?.id;
    return customer === customerId || (object.object === 'customer' && object.id === customerId);
  });
  return { events: mine, cursor: pulled.cursor };
}

export async function postWebhook(event: Pick<PulledEvent, 'payload' | 'signature'>) {
  return call('POST', '/webhooks/stripe', { rawBody: event.payload, headers: { 'stripe-signature': event.signature, 'content-type': 'application/json' } });
}

/** The emulator's newest event sequence (0 before any), to pull only what happens after now. */
export async function currentCursor(): Promise<number> {
  return (await emulator<{ cursor: number }>('/_emulator/events?since=0')).cursor;
}

/** Polls until `check` passes (the queue consumer runs asynchronously), or fails with its last error. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw lastError;
}

const cryptoProvider = Stripe.createSubtleCryptoProvider();

/**
 * Waits until the queue consumer has finished (processed, or dead-lettered)
 * every event of the owner's customer since `cursor`. A test that changes
 * Stripe next (deleting the customer, say) must wait for this, not only for
 * the first event's effect: an event still queued re-reads Stripe when it
 * runs, and would see the change.
 */
export async function settled(owner: SignedUp, cursor: number): Promise<void> {
  const ids = (await eventsFor(await customerOf(owner), cursor)).events.map((event) => (JSON.parse(event.payload) as { id: string }).id);
  await eventually(async () => {
    const pending = await env.DB.prepare(`SELECT id FROM stripe_events WHERE id IN (${ids.map(() => '?').join(', ')}) AND processed_at IS NULL AND dead_at IS NULL`)
      .bind(...ids)
      .all();
    expect(pending.results, 'events still queued').toEqual([]);
  }, 15_000);
}

/** The tenant's billing summary, as its owner sees it. */
export async function billing(owner: SignedUp) {
  return (await call('GET', `/api/t/${owner.tenant.slug}/billing`, { token: owner.token })).body;
}

/** The tenant's Stripe customer, as stored at checkout. */
export async function customerOf(owner: SignedUp): Promise<string> {
  const row = await env.DB.prepare('SELECT stripe_customer_id AS id FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first<{ id: string }>();
  if (!row?.id) throw new Error('no customer');
  return row.id;
}

/** Posts every emulator event about the tenant's customer since `cursor` to the Worker; returns the new cursor. */
export async function deliver(owner: SignedUp, cursor: number, order: 'as-sent' | 'reversed' = 'as-sent'): Promise<number> {
  const pulled = await eventsFor(await customerOf(owner), cursor);
  const events = order === 'reversed' ? [...pulled.events].reverse() : pulled.events;
  for (const event of events) expect((await postWebhook(event)).status).toBe(200);
  return pulled.cursor;
}

/** Checks out `seats` pro seats and pays on the hosted page; returns the event cursor from before. */
export async function checkoutAndPay(owner: SignedUp, seats: number) {
  const cursor = await currentCursor();
  const checkout = await call('POST', `/api/t/${owner.tenant.slug}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats } });
  expect(checkout.status).toBe(200);
  const paid = await payCheckout(checkout.body.url);
  expect(paid.status).toBe(303);
  expect(paid.headers.get('location')).toContain(`/t/${owner.tenant.slug}/billing?checkout=success`);
  return { cursor, url: checkout.body.url as string };
}

/** A `Stripe-Signature` for `payload`, signed as Stripe would (optionally at another time). */
export async function signedHeader(payload: string, timestamp?: number): Promise<string> {
  return testStripe.webhooks.generateTestHeaderStringAsync({ payload, secret: env.STRIPE_WEBHOOK_SECRET, cryptoProvider, ...(timestamp ? { timestamp } : {}) });
}
