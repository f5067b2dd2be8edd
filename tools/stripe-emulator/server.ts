/**
 * A local Stripe emulator for development and tests. The app reaches it
 * through the official SDK:
 *
 *   new Stripe('sk_test_…', { host: '127.0.0.1', port, protocol: 'http',
 *     httpClient: Stripe.createFetchHttpClient() })
 *
 * This module owns the HTTP plumbing every /v1 request goes through, in
 * Stripe's order: authentication, injected faults, parameter decoding,
 * idempotency, then the endpoint.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Stripe from 'stripe';
import { apiRoutes, type ApiContext } from './api.ts';
import { Billing, TEST_CARD_OK } from './billing.ts';
import { EmulatorClock } from './clock.ts';
import {
  controlRoutes,
  NO_FAULTS,
  type ControlContext,
  type EmulatorControls,
  type EmulatorState,
  type Faults,
} from './controls.ts';
import { idempotencyKeyInUse, invalidRequest, lockTimeout, StripeApiError, unrecognizedUrl } from './errors.ts';
import { decodeForm, Params, type FormValue } from './form.ts';
import { findRoute, json, type Reply } from './http.ts';
import { newId } from './ids.ts';
import type { PriceInput } from './objects.ts';
import { indexPage, pageNotFound, pageRoutes, type PageContext } from './pages.ts';
import { Store } from './store.ts';
import { pullEvents, WebhookDispatcher } from './webhooks.ts';

export type { AdvanceResult } from './billing.ts';
export type { EmulatorControls, EmulatorState, Faults, PullResult } from './controls.ts';
export type { DeliveryRecord, PulledEvent } from './webhooks.ts';
export { signPayload } from './webhooks.ts';

export interface StripeEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Where events are POSTed. Unset: events are only stored (pull them from /_emulator/events). */
  webhookUrl?: string;
  /** The endpoint's signing secret (`whsec_…`), shared with the app. */
  webhookSecret: string;
  /** First webhook retry delay; doubles per attempt up to retryMaxMs. Default 500. */
  retryBaseMs?: number;
  /** Default 60 000. */
  retryMaxMs?: number;
  /** Delivery attempts per event, the first included. Default 8. */
  maxDeliveryAttempts?: number;
  /** Default 10 000. */
  webhookTimeoutMs?: number;
  /** How long a past_due subscription is retried before it lapses. Default 14. */
  retryWindowDays?: number;
  /** What a subscription becomes when retries run out. Default 'unpaid'. */
  afterRetries?: 'unpaid' | 'canceled';
  /** Ids of the two seeded prices. */
  priceIds?: { pro?: string; enterprise?: string };
  /** Origin used in hosted page URLs, when browsers reach the emulator by another name. Default: its own URL. */
  publicUrl?: string;
  /** One line per request and per webhook attempt. Silent when unset. */
  log?: (line: string) => void;
}

export interface StripeEmulator extends EmulatorControls {
  url: string;
  port: number;
  webhookSecret: string;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;
/** Stripe keeps an idempotent result for at least 24 hours; the emulator forgets it after exactly that, on its own clock. */
const IDEMPOTENCY_KEY_LIFETIME_SECONDS = 24 * 3600;
const API_KEY = /^(sk|rk)_test_\w+$/;

function seedPrices(ids: StripeEmulatorOptions['priceIds']): PriceInput[] {
  return [
    {
      id: ids?.pro ?? 'price_pro_monthly',
      unitAmount: 1200,
      nickname: 'Pro (per seat, monthly)',
      lookupKey: 'pro_monthly',
      productId: 'prod_pro',
      metadata: { plan: 'pro' },
    },
    {
      id: ids?.enterprise ?? 'price_enterprise_monthly',
      unitAmount: 50000,
      nickname: 'Enterprise (monthly)',
      lookupKey: 'enterprise_monthly',
      productId: 'prod_enterprise',
      metadata: { plan: 'enterprise' },
    },
  ];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new StripeApiError(413, 'invalid_request_error', 'Request body too large.');
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function authenticate(authorization: string | undefined): void {
  if (!authorization) {
    throw new StripeApiError(
      401,
      'invalid_request_error',
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  const [scheme, credential = ''] = authorization.split(' ', 2);
  let key = credential;
  if (scheme?.toLowerCase() === 'basic') {
    try {
      key = atob(credential).split(':')[0] ?? '';
    } catch {
      key = '';
    }
  } else if (scheme?.toLowerCase() !== 'bearer') {
    key = '';
  }
  if (!API_KEY.test(key)) {
    const masked = key.length > 8 ? `${key.slice(0, 8)}****${key.slice(-4)}` : key || '(none)';
    throw new StripeApiError(
      401,
      'invalid_request_error',
      `Invalid API Key provided: ${masked}. The local Stripe emulator accepts test-mode secret keys (sk_test_…) only.`,
    );
  }
}

/** Parameters in a canonical order, so equal requests compare equal however the client ordered them. */
function canonical(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(value[key] as FormValue)}`)
    .join(',')}}`;
}

function errorReply(error: StripeApiError): Reply {
  return json(error.status, error.toBody(), { ...error.headers });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startStripeEmulator(options: StripeEmulatorOptions): Promise<StripeEmulator> {
  if (!options.webhookSecret) throw new Error('startStripeEmulator: webhookSecret is required (whsec_…)');
  const host = options.host ?? '127.0.0.1';
  const log = options.log;
  let url = '';
  let faults: Faults = { ...NO_FAULTS };

  const store = new Store();
  const clock = new EmulatorClock();
  const dispatcher = new WebhookDispatcher({
    secret: options.webhookSecret,
    url: options.webhookUrl,
    retryBaseMs: options.retryBaseMs ?? 500,
    retryMaxMs: options.retryMaxMs ?? 60_000,
    maxAttempts: options.maxDeliveryAttempts ?? 8,
    timeoutMs: options.webhookTimeoutMs ?? 10_000,
    log,
  });
  const billing = new Billing(store, clock, {
    retryWindowSeconds: (options.retryWindowDays ?? 14) * 86_400,
    afterRetries: options.afterRetries ?? 'unpaid',
    checkoutExpirySeconds: 24 * 3600,
    publicUrl: () => options.publicUrl ?? url,
    webhooksEnabled: () => dispatcher.url !== undefined,
    onEvents: (batch) =>
      dispatcher.enqueue(batch, { duplicate: faults.duplicateDeliveries, reorder: faults.reorderDeliveries }),
  });
  const seed = (): void => {
    for (const price of seedPrices(options.priceIds)) billing.createPrice(price);
  };
  seed();

  const controls: EmulatorControls = {
    now: () => clock.now(),
    advanceClock: ({ seconds = 0, days = 0 }) => billing.advanceClock(seconds + days * 86_400),
    setPaymentFailure: (customerId, fail) => billing.setPaymentFailure(customerId, fail),
    setFaults: (changes) => {
      faults = { ...faults, ...changes };
      return { ...faults };
    },
    faults: () => ({ ...faults }),
    setWebhookUrl: (webhookUrl) => {
      dispatcher.url = webhookUrl ?? undefined;
    },
    pullEvents: async (since = 0) => ({
      events: await pullEvents(store.events, since, options.webhookSecret),
      cursor: store.events.at(-1)?.sequence ?? since,
    }),
    deliveries: () => dispatcher.deliveries,
    waitForDeliveries: (timeoutMs) => dispatcher.settled(timeoutMs),
    payCheckoutSession: (sessionId) => billing.run(null, () => billing.completeCheckout(sessionId, TEST_CARD_OK)),
    reset: () => {
      dispatcher.reset();
      store.clear();
      clock.reset();
      faults = { ...NO_FAULTS };
      seed();
    },
    state: (): EmulatorState => ({
      now: clock.now(),
      webhookUrl: dispatcher.url ?? null,
      faults: { ...faults },
      prices: [...store.prices.values()],
      customers: [...store.customers.values()].map(({ customer, failPayments }) => ({ customer, failPayments })),
      subscriptions: [...store.subscriptions.values()].map(({ subscription, pastDueSince, openInvoiceIds }) => ({
        subscription,
        pastDueSince,
        openInvoiceIds,
      })),
      checkoutSessions: [...store.sessions.values()].map((record) => record.session),
      portalSessions: [...store.portalSessions.values()],
      invoices: [...store.invoices.values()],
      invoiceItems: [...store.invoiceItems.values()],
      eventCount: store.events.length,
    }),
  };

  /** Headers Stripe puts on every API answer, errors included: the API version and the idempotency key used. */
  async function handleApi(req: IncomingMessage, method: string, target: URL, body: string, requestId: string): Promise<Reply> {
    let reply: Reply;
    try {
      reply = await answerApi(req, method, target, body, requestId);
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      reply = errorReply(error);
    }
    reply.headers['Stripe-Version'] = header(req, 'stripe-version') ?? Stripe.API_VERSION;
    const key = header(req, 'idempotency-key');
    if (method === 'POST' && key !== undefined) reply.headers['Idempotency-Key'] = key;
    return reply;
  }

  /** The injected failure for this call, if one is due (see Faults). */
  function injectedFailure(): StripeApiError | null {
    if (faults.failNext <= 0) return null;
    faults.failNext -= 1;
    if (faults.status === 429) {
      if (faults.shouldRetry === true) return lockTimeout();
      return new StripeApiError(
        429,
        'invalid_request_error',
        'Request rate limit exceeded (injected by the local Stripe emulator).',
        { code: 'rate_limit', headers: { 'Retry-After': '1' } },
      );
    }
    return new StripeApiError(500, 'api_error', 'An unknown error occurred (injected by the local Stripe emulator).', {
      shouldRetry: faults.shouldRetry,
    });
  }

  /** The stored result for an Idempotency-Key, unless there is none or it is more than 24 hours old. */
  function idempotentResult(key: string) {
    const stored = store.idempotency.get(key);
    if (stored && clock.now() - stored.createdAt >= IDEMPOTENCY_KEY_LIFETIME_SECONDS) {
      store.idempotency.delete(key);
      return undefined;
    }
    return stored;
  }

  /**
   * Like Stripe, keep the results of requests that ran: successes, declined
   * cards, and 500s Stripe says not to retry (because a retry would replay
   * them). Not requests refused as invalid before doing anything, nor
   * failures that a retry may get past, so a retry with the same key can
   * still go through.
   */
  function keepsResult(reply: Reply): boolean {
    if (reply.status < 400 || reply.status === 402) return true;
    return reply.status >= 500 && reply.headers['Stripe-Should-Retry'] === 'false';
  }

  async function answerApi(req: IncomingMessage, method: string, target: URL, body: string, requestId: string): Promise<Reply> {
    authenticate(header(req, 'authorization'));
    const found = findRoute(apiRoutes, method, target.pathname);
    if (!found) throw unrecognizedUrl(method, target.pathname);
    if (method === 'POST' && body !== '' && !(header(req, 'content-type') ?? '').includes('application/x-www-form-urlencoded')) {
      throw invalidRequest('Stripe API requests must be form-encoded (application/x-www-form-urlencoded).');
    }
    const data = decodeForm(method === 'POST' ? body : target.search.slice(1));

    // Stripe honours Idempotency-Key on POST only; GET and DELETE are idempotent already.
    const key = method === 'POST' ? header(req, 'idempotency-key') : undefined;
    const fingerprint = `${method} ${target.pathname} ${canonical(data)}`;
    if (key !== undefined) {
      const stored = idempotentResult(key);
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          throw new StripeApiError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          );
        }
        return json(stored.status, stored.body, {
          ...stored.headers,
          'Idempotent-Replayed': 'true',
          'Original-Request': stored.requestId,
        });
      }
      if (store.idempotencyInFlight.has(key)) throw idempotencyKeyInUse(key);
      store.idempotencyInFlight.add(key);
    }

    try {
      // The injected latency is time the request spends running, so a second request with its key meets a 409 meanwhile.
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      let reply: Reply;
      try {
        const failure = injectedFailure();
        if (failure) throw failure;
        const context: ApiContext = {
          billing,
          params: new Params(data),
          request: { id: requestId, idempotency_key: key ?? null },
        };
        reply = await found.route.handler(context, found.params);
      } catch (error) {
        if (!(error instanceof StripeApiError)) throw error;
        reply = errorReply(error);
      }
      if (key !== undefined && keepsResult(reply)) {
        store.idempotency.set(key, {
          method,
          path: target.pathname,
          fingerprint,
          status: reply.status,
          body: reply.body,
          headers: reply.headers,
          requestId,
          createdAt: clock.now(),
        });
      }
      return reply;
    } finally {
      if (key !== undefined) store.idempotencyInFlight.delete(key);
    }
  }

  async function handleControl(method: string, target: URL, body: string): Promise<Reply> {
    const found = findRoute(controlRoutes, method, target.pathname);
    if (!found) throw unrecognizedUrl(method, target.pathname);
    let parsed: unknown = {};
    if (body.trim() !== '') {
      try {
        parsed = JSON.parse(body);
      } catch {
        throw invalidRequest('Operator controls take a JSON body.');
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw invalidRequest('Operator controls take a JSON object.');
    }
    const context: ControlContext = { controls, body: parsed as Record<string, unknown>, query: target.searchParams };
    return found.route.handler(context, found.params);
  }

  async function handlePage(method: string, target: URL, body: string): Promise<Reply> {
    if (target.pathname === '/' && method === 'GET') return indexPage();
    const found = findRoute(pageRoutes, method, target.pathname);
    if (!found) return pageNotFound(target.pathname);
    const context: PageContext = { billing, form: new Params(method === 'POST' ? decodeForm(body) : {}) };
    return found.route.handler(context, found.params);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const requestId = newId('req', 14);
    const method = (req.method ?? 'GET').toUpperCase();
    const target = new URL(req.url ?? '/', 'http://emulator.invalid');
    let reply: Reply;
    try {
      const body = await readBody(req);
      if (target.pathname === '/v1' || target.pathname.startsWith('/v1/')) {
        reply = await handleApi(req, method, target, body, requestId);
      } else if (target.pathname.startsWith('/_emulator/')) {
        reply = await handleControl(method, target, body);
      } else {
        reply = await handlePage(method, target, body);
      }
    } catch (error) {
      if (error instanceof StripeApiError) {
        reply = errorReply(error);
      } else {
        log?.(`error handling ${method} ${target.pathname}: ${error instanceof Error ? error.stack : String(error)}`);
        reply = errorReply(new StripeApiError(500, 'api_error', 'The local Stripe emulator failed to handle this request.'));
      }
    }
    res.statusCode = reply.status;
    for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
    res.setHeader('Request-Id', requestId);
    res.end(reply.body);
    log?.(`${method} ${target.pathname}${target.search} → ${reply.status} (${Date.now() - started} ms)`);
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  url = `http://${host}:${port}`;

  return {
    ...controls,
    url,
    port,
    webhookSecret: options.webhookSecret,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        dispatcher.reset();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

