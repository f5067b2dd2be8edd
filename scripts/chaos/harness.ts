/**
 * What every experiment shares: the stack and its controls, the steady
 * workload, lab tenants an experiment can put in a known state, the
 * compressed cron, the seat sampler, and the convergence check that ends
 * each experiment (invariants on a quiet system, with how long they took).
 */
import { signPayload, type PulledEvent } from '../../tools/stripe-emulator/server.ts';
import { call, type Answer, type Controls } from './client.ts';
import { checkInvariants, type InvariantResult, type OverLimitSample } from './invariants.ts';
import { d1SeatHolders, liveHolders, readD1, readObjects, snapshot, type Snapshot } from './observe.ts';
import type { Stack } from './stack.ts';
import type { TenantActor, Workload } from './workload.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Convergence {
  ok: boolean;
  /** From the end of the fault until every invariant held (null: they never did before the deadline). */
  ms: number | null;
  invariants: InvariantResult[];
  /** Holders removed or added by forcing the objects' reconciliation (what their alarm does every 10 minutes). */
  reconciled: string[];
  /** Objects seen counting fewer seat holders than D1 has (before any reconciliation). */
  underCounted: string[];
  checks: number;
}

/** Where an experiment begins, so what it finds broken is its own. */
export interface ExperimentWindow {
  startedAt: number;
  crossTenantFrom: number;
  auditFrom: number;
  eventsFrom: number;
}

export class Harness {
  readonly overLimit: OverLimitSample[] = [];
  readonly log: (line: string) => void;
  private timers: NodeJS.Timeout[] = [];
  private labCount = 0;
  cronRuns = 0;

  readonly stack: Stack;
  readonly controls: Controls;
  readonly workload: Workload;
  readonly quick: boolean;

  constructor(stack: Stack, controls: Controls, workload: Workload, quick: boolean, log: (line: string) => void) {
    this.stack = stack;
    this.controls = controls;
    this.workload = workload;
    this.quick = quick;
    this.log = log;
  }

  // ---------------------------------------------------------------- background

  /**
   * The cron, compressed: `wrangler dev` never fires it, so the harness does,
   * every `everyMs` (production: every 5 minutes). The seat sampler reads D1
   * and the objects every second and records any tenant above its limit.
   */
  startBackground(cronEveryMs: number): void {
    this.timers.push(setInterval(() => void this.cron(), cronEveryMs));
    this.timers.push(setInterval(() => this.sampleSeats(), 1000));
  }

  stopBackground(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  async cron(): Promise<void> {
    try {
      if ((await this.stack.cron()) === 200) this.cronRuns++;
    } catch {
      // the Worker is down (an experiment killed it): the next tick tries again
    }
  }

  private sampleSeats(): void {
    try {
      const d1 = readD1(this.stack.d1File());
      const now = Date.now();
      for (const object of readObjects(this.stack)) {
        const used = d1SeatHolders(d1, object.tenantId, now).length;
        if (object.seatsLimit !== null && used > object.seatsLimit) this.overLimit.push({ at: now, tenantId: object.tenantId, used, limit: object.seatsLimit });
      }
    } catch {
      // a file mid-write: the next sample reads it again
    }
  }

  // ---------------------------------------------------------------- lab tenants

  /** A tenant outside the steady loops, for an experiment to put in a known state. */
  labTenant(): Promise<TenantActor> {
    return this.workload.createTenant(`lab${++this.labCount}`);
  }

  api(t: TenantActor, method: string, path: string, json?: unknown): Promise<Answer> {
    return call(this.stack.appUrl, method, `/api/t/${t.slug}${path}`, { token: t.owner.token, json });
  }

  /** Checkout for `seats` pro seats, paid on the emulator. Resolves with the checkout answer. */
  async buy(t: TenantActor, seats: number): Promise<Answer> {
    const answer = await this.api(t, 'POST', '/billing/checkout', { plan: 'pro', seats });
    const sessionId = /\/checkout\/(cs_\w+)/.exec(String(answer.body.url))?.[1];
    if (answer.status === 200 && sessionId) await this.controls.payCheckout(sessionId);
    return answer;
  }

  async billing(t: TenantActor): Promise<{ plan: string; status: string; seats: { used: number; limit: number | null }; limits: { seats: number | null; projects: number | null } }> {
    const answer = await this.api(t, 'GET', '/billing');
    if (answer.status !== 200) throw new Error(`billing of ${t.label}: ${answer.status}`);
    return answer.body as never;
  }

  /** A lab tenant on pro with `seats` seats, confirmed by its webhook. */
  async paidTenant(seats: number): Promise<TenantActor> {
    const t = await this.labTenant();
    const answer = await this.buy(t, seats);
    if (answer.status !== 200) throw new Error(`checkout for ${t.label}: ${answer.status} ${JSON.stringify(answer.body)}`);
    await this.until(`${t.label} on pro`, async () => (await this.billing(t)).plan === 'pro', 20_000);
    return t;
  }

  /** The tenant's Stripe subscription and its item, as Stripe has them. */
  async stripeSubscription(t: TenantActor): Promise<{ id: string; itemId: string; quantity: number }> {
    const row = readD1(this.stack.d1File()).subscriptions.find((s) => s.tenantId === t.id);
    if (!row?.stripeSubscriptionId) throw new Error(`${t.label} has no subscription in D1`);
    const sub = (await this.controls.stripeApi('GET', `/subscriptions/${row.stripeSubscriptionId}`)) as { id: string; items: { data: { id: string; quantity: number }[] } };
    const item = sub.items.data[0];
    if (!item) throw new Error(`${sub.id} has no item`);
    return { id: sub.id, itemId: item.id, quantity: item.quantity };
  }

  /** A seat change made outside the app, as the customer portal does: only a webhook tells the app. */
  async portalSeatChange(t: TenantActor, quantity: number): Promise<void> {
    const sub = await this.stripeSubscription(t);
    await this.controls.stripeApi('POST', `/subscriptions/${sub.id}`, { 'items[0][id]': sub.itemId, 'items[0][quantity]': String(quantity) });
  }

  // ---------------------------------------------------------------- webhooks by hand

  /** Posts an event to the app as Stripe would, signed at `timestamp` (Unix seconds; default now). */
  async deliver(event: Pick<PulledEvent, 'payload'>, timestamp?: number): Promise<Answer> {
    const signature = await signPayload(event.payload, this.stack.webhookSecret, timestamp);
    return call(this.stack.appUrl, 'POST', '/webhooks/stripe', { rawBody: event.payload, headers: { 'stripe-signature': signature, 'content-type': 'application/json' } });
  }

  /**
   * Delivery on again after it was held since `cursor`: everything the
   * emulator produced since is posted by hand (what was already delivered is
   * a no-op), so no event of the held window is left undelivered.
   */
  async resumeWebhooks(cursor: number): Promise<Answer[]> {
    await this.controls.setWebhookUrl(`${this.stack.appUrl}/webhooks/stripe`);
    const answers: Answer[] = [];
    for (const event of (await this.controls.emulatorEvents(cursor)).events) answers.push(await this.deliver(event));
    return answers;
  }

  async emulatorCursor(): Promise<number> {
    return (await this.controls.emulatorEvents(0)).cursor;
  }

  /** Resolves once the emulator has no delivery pending or retrying. */
  async deliveriesSettled(timeoutMs = 40_000): Promise<void> {
    await this.until('webhook deliveries settled', async () => (await this.controls.deliveries()).every((d) => d.state === 'succeeded' || d.state === 'failed'), timeoutMs);
  }

  async until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<number> {
    const started = Date.now();
    let lastError: unknown;
    while (Date.now() - started < timeoutMs) {
      try {
        if (await check()) return Date.now() - started;
      } catch (err) {
        lastError = err;
      }
      await sleep(everyMs);
    }
    throw new Error(`${what}: not within ${timeoutMs / 1000}s${lastError ? ` (${String(lastError)})` : ''}`);
  }

  // ---------------------------------------------------------------- convergence

  async window(): Promise<ExperimentWindow> {
    return {
      startedAt: Date.now(),
      crossTenantFrom: this.workload.crossTenantReads.length,
      auditFrom: readD1(this.stack.d1File()).audit.at(-1)?.id ?? 0,
      eventsFrom: await this.emulatorCursor(),
    };
  }

  /** Each tenant's limits as the app computes them from D1 (its billing API), for the objects to match. */
  private async expectedLimits(): Promise<Map<string, { seats: number | null; projects: number | null }>> {
    const answers = await Promise.all(this.workload.tenants.map(async (t) => [t.id, await this.api(t, 'GET', '/billing')] as const));
    return new Map(answers.filter(([, a]) => a.status === 200).map(([id, a]) => [id, (a.body as { limits: { seats: number | null; projects: number | null } }).limits]));
  }

  /**
   * With the workload paused: fire the cron every few seconds and check the
   * invariants until they all hold or `timeoutMs` passes. An object whose
   * holders differ from D1 is reconciled now rather than at its next alarm,
   * and what that changed is reported.
   */
  async converge(window: ExperimentWindow, faultEndedAt: number, timeoutMs: number): Promise<Convergence> {
    await this.workload.pause();
    const reconciled: string[] = [];
    const underCounted: string[] = [];
    let invariants: InvariantResult[] = [];
    let checks = 0;
    let lastCron = 0;
    const deadline = Date.now() + timeoutMs;
    try {
      while (true) {
        if (Date.now() - lastCron >= 5000) {
          lastCron = Date.now();
          await this.cron();
        }
        let snap: Snapshot;
        try {
          snap = await snapshot(this.stack, this.controls);
        } catch (err) {
          this.log(`  snapshot failed: ${String(err)}`);
          await sleep(500);
          continue;
        }
        const drift = await this.reconcileDrifted(snap);
        reconciled.push(...drift.changes);
        underCounted.push(...drift.underCounted);
        invariants = checkInvariants(
          {
            snapshot: snap,
            crossTenantReads: this.workload.crossTenantReads.slice(window.crossTenantFrom),
            overLimit: this.overLimit.filter((sample) => sample.at >= window.startedAt),
            underCounted,
            auditFrom: window.auditFrom,
            eventsFrom: window.eventsFrom,
          },
          await this.expectedLimits(),
        );
        checks++;
        // A seat above its limit, a cross-tenant read, a false audit row: waiting cannot undo them, so only the rest is waited for.
        if (invariants.every((i) => i.ok || i.permanent) || Date.now() > deadline) break;
        await sleep(this.quick ? 500 : 1000);
      }
    } finally {
      this.workload.resume();
    }
    const ok = invariants.every((i) => i.ok);
    return { ok, ms: ok ? Math.max(0, Date.now() - faultEndedAt) : null, invariants, reconciled, underCounted, checks };
  }

  /**
   * Objects whose live holders differ from D1's: reconciled now (what the
   * alarm would do). One that counts fewer than D1 is reported first: the
   * object may count more than D1 (a leak), never fewer, or it can over-allocate.
   */
  private async reconcileDrifted(snap: Snapshot): Promise<{ changes: string[]; underCounted: string[] }> {
    const changes: string[] = [];
    const underCounted: string[] = [];
    for (const object of snap.objects) {
      const inD1 = new Set(d1SeatHolders(snap.d1, object.tenantId, snap.takenAt));
      const live = liveHolders(object, snap.takenAt).map((h) => h.holder);
      if (live.length === inD1.size && live.every((h) => inD1.has(h))) continue;
      if (live.length < inD1.size && object.reconciledAt !== null) underCounted.push(`${object.tenantId}: object counts ${live.length}, D1 has ${inD1.size}`);
      try {
        const result = await this.controls.reconcileObject(object.tenantId);
        for (const holder of result.removed) changes.push(`${object.tenantId} −${holder}`);
        for (const holder of result.added) changes.push(`${object.tenantId} +${holder}`);
      } catch (err) {
        this.log(`  reconcile of ${object.tenantId} failed: ${String(err)}`);
      }
    }
    return { changes, underCounted };
  }
}
