/**
 * The two webhook measurements of `npm run bench`.
 *
 * - Ingest: Stripe events the script makes and signs with the webhook secret
 *   it configured, each with a new id, as Stripe would deliver them. They are
 *   `customer.updated` events, which the app stores, enqueues and (in the
 *   consumer) marks processed without acting on, so the row measures the
 *   webhook path itself: verify, store, enqueue.
 * - Webhook → limits applied: the seat count of a pro subscription changes
 *   in the emulator (as in Stripe's portal); the emulator delivers
 *   `customer.subscription.updated`; the app stores and enqueues it; the
 *   consumer fetches the subscription, writes it and pushes the new limits to
 *   the tenant's Durable Object. Timed from the start of the webhook's
 *   delivery (the emulator's record) to the first `GET …/billing` answer
 *   that shows the new seat limit.
 */
import Stripe from 'stripe';
import type { DeliveryRecord } from '../../tools/stripe-emulator/webhooks.ts';
import { signPayload } from '../../tools/stripe-emulator/webhooks.ts';
import type { ApiClient, DataSet } from './dataset.ts';
import type { RequestSpec } from './load.ts';
import { BENCH_SECRETS } from './workers.ts';

export async function signedEventRequest(customer: Stripe.Customer, id: string): Promise<RequestSpec> {
  const payload = JSON.stringify({
    id,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: Math.floor(Date.now() / 1000),
    data: { object: customer, previous_attributes: { name: 'Bench Writes (before)' } },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'customer.updated',
  });
  return {
    method: 'POST',
    path: '/webhooks/stripe',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': await signPayload(payload, BENCH_SECRETS.STRIPE_WEBHOOK_SECRET) },
    body: payload,
  };
}

export interface LimitsSample {
  /** From the start of the webhook's delivery to the first billing answer showing the new limit. */
  webhookToLimitsMs: number;
  /** From the script's call to Stripe to the same answer: adds Stripe's API call and the emulator's dispatch. */
  changeToLimitsMs: number;
}

async function deliveries(emulatorOrigin: string): Promise<DeliveryRecord[]> {
  const res = await fetch(`${emulatorOrigin}/_emulator/deliveries`);
  return ((await res.json()) as { deliveries: DeliveryRecord[] }).deliveries;
}

/** The first attempt of the subscription.updated delivery recorded after index `from`, once it has one. */
async function deliveryStart(emulatorOrigin: string, from: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const record = (await deliveries(emulatorOrigin)).slice(from).find((r) => r.eventType === 'customer.subscription.updated');
    const attempt = record?.attempts[0];
    if (attempt) return Date.parse(attempt.at);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the emulator recorded no delivery of customer.subscription.updated');
}

export async function webhookToLimits(api: ApiClient, stripe: Stripe, emulatorOrigin: string, data: DataSet, seats: number): Promise<LimitsSample> {
  const { slug, subscriptionId, itemId } = data.billing;
  const before = (await deliveries(emulatorOrigin)).length;
  const changedAt = Date.now();
  await stripe.subscriptions.update(subscriptionId, { items: [{ id: itemId, quantity: seats }] });
  const appliedAt = await api.waitForBilling(slug, data.token, (billing) => billing.seats.limit === seats);
  const deliveredAt = await deliveryStart(emulatorOrigin, before);
  return { webhookToLimitsMs: appliedAt - deliveredAt, changeToLimitsMs: appliedAt - changedAt };
}
