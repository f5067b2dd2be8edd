/**
 * Shared by the emulator's tests: an emulator per test on a random port, the
 * SDK configured as the app configures it, a webhook receiver, and the
 * hosted pages driven as a browser drives them (their forms, posted).
 */
import { createServer } from 'node:http';
import Stripe from 'stripe';
import { startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from '../../tools/stripe-emulator/server.ts';

export const SECRET = 'whsec_test_emulator_secret';
export const DAY = 86_400;

const cleanups: Array<() => Promise<void>> = [];

/** Stops what the test started (emulators, receivers); each test file calls it from afterEach. */
export async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()?.();
}

export async function emulator(options: Partial<StripeEmulatorOptions> = {}): Promise<StripeEmulator> {
  const started = await startStripeEmulator({ webhookSecret: SECRET, retryBaseMs: 20, retryMaxMs: 100, ...options });
  cleanups.push(() => started.stop());
  return started;
}

/** The SDK exactly as the app configures it, minus its own retries (unless asked for) so injected faults surface. */
export function sdk(target: StripeEmulator, key = 'sk_test_emulator', maxNetworkRetries = 0): Stripe {
  return new Stripe(key, {
    host: '127.0.0.1',
    port: target.port,
    protocol: 'http',
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries,
  });
}

export interface Received {
  payload: string;
  signature: string;
  event: Stripe.Event;
}

/** A webhook endpoint: records each delivery; `statusFor(n)` picks the answer to the n-th request (0-based). */
export async function receiver(statusFor: (index: number) => number = () => 200) {
  const received: Received[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    void (async () => {
      let payload = '';
      const decoder = new TextDecoder();
      for await (const chunk of req) payload += decoder.decode(chunk, { stream: true });
      payload += decoder.decode();
      const status = statusFor(requests++);
      if (status === 200) {
        const signature = String(req.headers['stripe-signature']);
        received.push({ payload, signature, event: JSON.parse(payload) as Stripe.Event });
      }
      res.statusCode = status;
      res.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('receiver has no port');
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${address.port}/webhooks/stripe`, received, requests: () => requests };
}

export interface HtmlForm {
  action: string;
  fields: Record<string, string>;
  text: string;
}

export function formsIn(html: string): HtmlForm[] {
  return [...html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)].map(([, action, inner]) => ({
    action: action as string,
    text: inner as string,
    fields: Object.fromEntries(
      [...(inner as string).matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map(([, name, value]) => [name, value]),
    ),
  }));
}

export async function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
}

/** A customer for tenant t1 and a paid Checkout Session for `quantity` pro seats, through the hosted page. */
export async function subscribe(target: StripeEmulator, stripe: Stripe, quantity = 5) {
  const customer = await stripe.customers.create({ email: 'owner@t1.example', metadata: { tenant_id: 't1' } });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price: 'price_pro_monthly', quantity }],
    success_url: 'http://app.example/t/t1/billing?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://app.example/t/t1/billing',
    client_reference_id: 't1',
    metadata: { tenant_id: 't1' },
    subscription_data: { metadata: { tenant_id: 't1', plan: 'pro' } },
  });
  const page = await (await fetch(session.url as string)).text();
  const pay = formsIn(page).find((form) => form.fields.card === '4242424242424242');
  if (!pay) throw new Error('no 4242 pay form on the checkout page');
  const paid = await postForm(new URL(pay.action, target.url).href, pay.fields);
  const completed = await stripe.checkout.sessions.retrieve(session.id);
  const subscription = await stripe.subscriptions.retrieve(String(completed.subscription));
  return { customer, session, page, paid, completed, subscription };
}

export async function control(target: StripeEmulator, method: string, path: string, body?: unknown) {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
