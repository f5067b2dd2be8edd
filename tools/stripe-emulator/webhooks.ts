/**
 * Webhook signing and delivery, as Stripe does them: each attempt is signed
 * afresh (`Stripe-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "t.payload")>`),
 * anything but a 2xx (redirects included) is a failure, and failures are
 * retried with exponential backoff in the background. Delivery never blocks
 * the API call that caused the event.
 */
import type { StoredEvent } from './store.ts';

const encoder = new TextEncoder();

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The `Stripe-Signature` header value for `payload`. The timestamp is wall
 * time, never the emulator clock: receivers check it against their own clock
 * (five minutes' tolerance by default).
 */
export async function signPayload(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamp}.${payload}`));
  return `t=${timestamp},v1=${toHex(mac)}`;
}

export interface PulledEvent {
  sequence: number;
  id: string;
  type: string;
  /** The exact body to POST to the app. */
  payload: string;
  /** A freshly computed `Stripe-Signature` header value for `payload`. */
  signature: string;
}

/** Pull mode: stored events after cursor `since`, each with the body and header a delivery would carry. */
export async function pullEvents(events: readonly StoredEvent[], since: number, secret: string): Promise<PulledEvent[]> {
  const timestamp = Math.floor(Date.now() / 1000);
  return Promise.all(
    events
      .filter((stored) => stored.sequence > since)
      .map(async (stored) => ({
        sequence: stored.sequence,
        id: stored.event.id,
        type: stored.event.type,
        payload: stored.payload,
        signature: await signPayload(stored.payload, secret, timestamp),
      })),
  );
}

export interface DeliveryAttempt {
  at: string;
  durationMs: number;
  /** The receiver's status code, when it answered. */
  status?: number;
  /** The network error, when it did not. */
  error?: string;
}

export interface DeliveryRecord {
  id: string;
  eventId: string;
  eventType: string;
  url: string;
  /** True for the extra copy sent under the duplicateDeliveries fault. */
  duplicate: boolean;
  state: 'pending' | 'retrying' | 'succeeded' | 'failed';
  attempts: DeliveryAttempt[];
  nextAttemptAt: string | null;
}

export interface DispatcherOptions {
  secret: string;
  url?: string;
  /** Delay before the first retry; doubles on each further one. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts per delivery, the first one included. */
  maxAttempts: number;
  timeoutMs: number;
  log?: (line: string) => void;
}

export interface BatchFaults {
  /** Send every event twice. */
  duplicate: boolean;
  /** Send the events of one batch in reverse order. */
  reorder: boolean;
}

export class WebhookDispatcher {
  url: string | undefined;
  readonly options: DispatcherOptions;
  private records: DeliveryRecord[] = [];
  /** First attempts go out one after another, in batch order; retries run on their own timers. */
  private queue: Promise<void> = Promise.resolve();
  private timers = new Set<ReturnType<typeof setTimeout>>();
  /** Aborted by reset/stop: in-flight attempts and pending retries of the old state are dropped. */
  private controller = new AbortController();
  private unsettled = 0;
  private waiters: Array<() => void> = [];
  private nextId = 1;

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.url = options.url;
  }

  get deliveries(): readonly DeliveryRecord[] {
    return this.records;
  }

  enqueue(batch: readonly StoredEvent[], faults: BatchFaults): void {
    const url = this.url;
    if (!url || batch.length === 0) return;
    const ordered = faults.reorder ? [...batch].reverse() : batch;
    const jobs = ordered.flatMap((stored) =>
      (faults.duplicate ? [false, true] : [false]).map((duplicate) => ({
        stored,
        record: this.createRecord(stored, url, duplicate),
      })),
    );
    const signal = this.controller.signal;
    this.queue = this.queue.then(async () => {
      for (const { stored, record } of jobs) {
        if (signal.aborted) return;
        await this.attempt(record, stored.payload, signal);
      }
    });
  }

  private createRecord(stored: StoredEvent, url: string, duplicate: boolean): DeliveryRecord {
    const record: DeliveryRecord = {
      id: `dlv_${this.nextId++}`,
      eventId: stored.event.id,
      eventType: stored.event.type,
      url,
      duplicate,
      state: 'pending',
      attempts: [],
      nextAttemptAt: null,
    };
    this.records.push(record);
    this.unsettled += 1;
    return record;
  }

  private async attempt(record: DeliveryRecord, payload: string, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    let attempt: DeliveryAttempt;
    try {
      const response = await fetch(record.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Stripe-Signature': await signPayload(payload, this.options.secret),
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      attempt = { at: new Date(started).toISOString(), durationMs: Date.now() - started, status: response.status };
    } catch (error) {
      attempt = {
        at: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    if (signal.aborted) return;
    record.attempts.push(attempt);
    const delivered = attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300;
    this.options.log?.(
      `webhook ${record.eventType} ${record.eventId} → ${attempt.status ?? attempt.error} (attempt ${record.attempts.length})`,
    );
    if (delivered || record.attempts.length >= this.options.maxAttempts) {
      record.state = delivered ? 'succeeded' : 'failed';
      record.nextAttemptAt = null;
      this.settleOne();
      return;
    }
    const delay = Math.min(this.options.retryBaseMs * 2 ** (record.attempts.length - 1), this.options.retryMaxMs);
    record.state = 'retrying';
    record.nextAttemptAt = new Date(Date.now() + delay).toISOString();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(record, payload, signal);
    }, delay);
    this.timers.add(timer);
  }

  private settleOne(): void {
    this.unsettled -= 1;
    if (this.unsettled === 0) this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves once every delivery has succeeded or used up its attempts. */
  settled(timeoutMs = 10_000): Promise<void> {
    if (this.unsettled === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        const pending = this.records.filter((record) => record.state === 'pending' || record.state === 'retrying');
        reject(new Error(`webhook deliveries not settled after ${timeoutMs} ms: ${pending.map((r) => r.eventType).join(', ')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
  }

  /** Drops every delivery, pending retries included. */
  reset(): void {
    this.controller.abort();
    this.controller = new AbortController();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.records = [];
    this.queue = Promise.resolve();
    this.unsettled = 0;
    this.releaseWaiters();
  }
}
