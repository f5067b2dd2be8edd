/**
 * A unit of work (a request, a queue message, a cron run, a Durable Object
 * call) and the resources it used. The unit is held in an AsyncLocalStorage
 * for as long as the work runs, so the instrumented bindings
 * (instrument.ts) and the Stripe client count into it without feature code
 * doing anything; the unit's wide event (wide-event.ts) reports the sums.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { startSpan, type TraceContext } from './trace';

/** What a unit of work used: the `usage` object of its wide event (docs: WIDE-EVENTS in README). */
export interface Usage {
  /** Statements executed. */
  d1Queries: number;
  /** A statement or a batch = 1. */
  d1RoundTrips: number;
  /** Sum of D1 result `meta.rows_read`. */
  d1RowsRead: number;
  /** Sum of D1 result `meta.rows_written`. */
  d1RowsWritten: number;
  doCalls: number;
  queueMessages: number;
  emails: number;
  stripeCalls: number;
}

export type UnitKind = 'request' | 'queue.message' | 'cron' | 'do.call';
export type PrincipalType = 'user' | 'api_key' | 'ops' | 'stripe' | 'anonymous' | 'system';

export function emptyUsage(): Usage {
  return { d1Queries: 0, d1RoundTrips: 0, d1RowsRead: 0, d1RowsWritten: 0, doCalls: 0, queueMessages: 0, emails: 0, stripeCalls: 0 };
}

export class UnitOfWork {
  readonly started = Date.now();
  readonly usage = emptyUsage();
  readonly trace: TraceContext;
  /** Work the unit handed to waitUntil (an email delivered after the response): it still counts into this unit. */
  readonly background: Promise<unknown>[] = [];
  /** The tenant the work was for: the first tenant a context was made for, unless set by the edge. */
  tenantId: string | null;
  principal: PrincipalType;

  constructor(
    readonly kind: UnitKind,
    readonly requestId: string,
    opts: { traceparent?: string | null; tenantId?: string | null; principal: PrincipalType },
  ) {
    this.trace = startSpan(opts.traceparent);
    this.tenantId = opts.tenantId ?? null;
    this.principal = opts.principal;
  }

  count(resources: Partial<Usage>): void {
    for (const [key, n] of Object.entries(resources) as [keyof Usage, number][]) this.usage[key] += n;
  }

  /** Records the tenant the work is for, unless one is known already; an operator's work is no tenant's usage. */
  attribute(tenantId: string): void {
    if (this.principal !== 'ops') this.tenantId ??= tenantId;
  }
}

const units = new AsyncLocalStorage<UnitOfWork>();

/** Runs `work` as `unit`: every instrumented binding it reaches counts into the unit. */
export function runAsUnit<T>(unit: UnitOfWork, work: () => T): T {
  return units.run(unit, work);
}

/** The unit of work running now, if any (none: counting is skipped). */
export function currentUnit(): UnitOfWork | undefined {
  return units.getStore();
}

/** Counts resources into the unit running now. */
export function countUsage(resources: Partial<Usage>): void {
  currentUnit()?.count(resources);
}

/**
 * The execution context with a waitUntil that also hands the work to the unit
 * running at the time, so what the work uses after the response is reported
 * too (wide-event.ts: the `background` event).
 */
export function trackBackground(ctx: ExecutionContext): ExecutionContext {
  return {
    waitUntil(work: Promise<unknown>) {
      currentUnit()?.background.push(work);
      ctx.waitUntil(work);
    },
    passThroughOnException: () => ctx.passThroughOnException(),
    props: ctx.props,
  } as ExecutionContext;
}

/** Names who the running unit is for, where no credential says it (operators, Stripe's webhooks). */
export function actAs(principal: PrincipalType): void {
  const unit = currentUnit();
  if (unit) unit.principal = principal;
}
