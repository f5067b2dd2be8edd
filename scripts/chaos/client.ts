/**
 * HTTP to the three things the run talks to: the app (as its users and its
 * operators), the Stripe emulator's operator controls, and the chaos entry's
 * fault controls. Every app call is timed; a network failure is an answer
 * with status 0, never an exception, so the workload keeps going through it.
 */
import { randomInt } from 'node:crypto';
import type { EmulatorState, Faults } from '../../tools/stripe-emulator/server.ts';
import type { DeliveryRecord, PulledEvent } from '../../tools/stripe-emulator/webhooks.ts';
import type { Stack } from './stack.ts';

export interface Answer {
  status: number;
  // The app's JSON; each caller reads the fields it needs and checks them.
  body: Record<string, unknown>;
  ms: number;
  /** A 429's Retry-After, in milliseconds: how long a well-behaved client waits. */
  retryAfterMs?: number;
  error?: string;
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export async function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  // The workload stands for many customers on many networks, not one client: the app's per-client
  // sign-up and sign-in limits (issue 17) would otherwise refuse it. Locally nothing overwrites this header.
  const headers: Record<string, string> = { 'cf-connecting-ip': `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`, ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const started = performance.now();
  try {
    const res = await fetch(`${base}${path}`, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text };
    }
    const retryAfter = res.status === 429 ? Number(res.headers.get('retry-after')) : NaN;
    return { status: res.status, body: parsed, ms: performance.now() - started, ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}) };
  } catch (err) {
    return { status: 0, body: {}, ms: performance.now() - started, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

export interface ChaosCounters {
  d1Calls: number;
  d1FailedBefore: number;
  d1FailedAfter: number;
  consumerCrashes: number;
  objectResets: number;
}

export class Controls {
  private readonly stack: Stack;

  constructor(stack: Stack) {
    this.stack = stack;
  }

  private async emulator<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.stack.emulatorUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`emulator ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  emulatorState(): Promise<EmulatorState> {
    return this.emulator('/_emulator/state');
  }

  async emulatorEvents(since = 0): Promise<{ events: PulledEvent[]; cursor: number }> {
    return this.emulator(`/_emulator/events?since=${since}`);
  }

  async deliveries(): Promise<DeliveryRecord[]> {
    return (await this.emulator<{ deliveries: DeliveryRecord[] }>('/_emulator/deliveries')).deliveries;
  }

  setStripeFaults(faults: Partial<Faults>): Promise<Faults> {
    return this.emulator('/_emulator/faults', faults);
  }

  clearStripeFaults(): Promise<Faults> {
    return this.setStripeFaults({ latencyMs: 0, failNext: 0, status: 500, duplicateDeliveries: false, reorderDeliveries: false });
  }

  setWebhookUrl(url: string | null): Promise<unknown> {
    return this.emulator('/_emulator/webhook', { url });
  }

  advanceClock(by: { days?: number; seconds?: number }): Promise<{ now: number; events: { id: string; type: string }[] }> {
    return this.emulator('/_emulator/clock/advance', by);
  }

  payCheckout(sessionId: string): Promise<unknown> {
    return this.emulator(`/_emulator/checkout/${sessionId}/pay`, {});
  }

  /** A Stripe API call made by "someone else" (the customer portal, a support agent), straight to the emulator. */
  async stripeApi(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.stack.emulatorUrl}/v1${path}`, {
      method,
      headers: { authorization: 'Bearer sk_test_chaos', 'content-type': 'application/x-www-form-urlencoded' },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    if (!res.ok) throw new Error(`stripe ${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  }

  private async chaos<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.stack.appUrl}/__chaos${path}`, {
      method,
      headers: { authorization: `Bearer ${this.stack.chaosToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`chaos ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  setWorkerFaults(faults: { d1FailRate?: number; crashBatches?: number; crashAfter?: number }): Promise<{ counters: ChaosCounters }> {
    return this.chaos('POST', '/faults', faults);
  }

  async workerCounters(): Promise<ChaosCounters> {
    return (await this.chaos<{ counters: ChaosCounters }>('GET', '/faults')).counters;
  }

  resetObject(tenantId: string): Promise<unknown> {
    return this.chaos('POST', `/tenants/${tenantId}/reset`);
  }

  reconcileObject(tenantId: string): Promise<{ before: number; after: number; added: string[]; removed: string[] }> {
    return this.chaos('POST', `/tenants/${tenantId}/reconcile`);
  }

  /** The operator's view of dead Stripe events (`GET /ops/stripe-events?state=dead`). */
  async deadEventIds(): Promise<string[]> {
    const answer = await call(this.stack.appUrl, 'GET', '/ops/stripe-events?state=dead&limit=500', { token: this.stack.opsToken });
    if (answer.status !== 200) throw new Error(`/ops/stripe-events: ${answer.status}`);
    return (answer.body.events as { id: string }[]).map((event) => event.id);
  }
}
