/**
 * The end of a unit of work: its one wide event through the one logger
 * (fields: README, "Wide events"), and its usage metered for its tenant
 * off the path of the work (waitUntil). Work the unit left running in
 * waitUntil (an email delivered after the response) is reported once it
 * settles, in a `background` event of the same request and trace with what
 * it used, and metered with the unit.
 */
import type { Env } from '../env';
import { errorMessage, type LogFields, type Logger } from '../log/logger';
import { meterUnit } from './meter';
import { recordRequest } from './recent';
import { emptyUsage, type UnitOfWork, type Usage } from './usage';

export interface UnitOutcome {
  route: string;
  method?: string;
  status?: number;
  error?: unknown;
  /** The line's own fields beside the shared ones (a cron run's job reports). */
  extra?: LogFields;
}

export function finishUnit(unit: UnitOfWork, outcome: UnitOutcome, io: { env: Env; log: Logger; waitUntil: (work: Promise<unknown>) => void }): void {
  const durationMs = Date.now() - unit.started;
  // A request's status says whether it failed (a refusal carries an error too, and is a warning).
  const failed = outcome.status !== undefined ? outcome.status >= 500 : outcome.error !== undefined;
  const fields: LogFields = {
    requestId: unit.requestId,
    traceId: unit.trace.traceId,
    spanId: unit.trace.spanId,
    parentSpanId: unit.trace.parentSpanId,
    tenantId: unit.tenantId,
    principal: unit.principal,
    route: outcome.route,
    ...(outcome.method ? { method: outcome.method } : {}),
    ...(outcome.status !== undefined ? { status: outcome.status } : {}),
    durationMs,
    usage: { ...unit.usage },
    ...(outcome.error !== undefined ? { error: errorMessage(outcome.error) } : {}),
    ...outcome.extra,
  };
  if (unit.kind === 'request' && outcome.status !== undefined) recordRequest(outcome.status, durationMs);
  if (failed) io.log.error(unit.kind, fields);
  else if ((outcome.status ?? 0) >= 400) io.log.warn(unit.kind, fields);
  else io.log.info(unit.kind, fields);
  const reported = { ...unit.usage };
  io.waitUntil(
    (async () => {
      await settleBackground(unit);
      const later = difference(unit.usage, reported);
      if (later) io.log.info('background', { requestId: unit.requestId, traceId: unit.trace.traceId, spanId: unit.trace.spanId, tenantId: unit.tenantId, principal: unit.principal, route: outcome.route, usage: later });
      await meterUnit(io.env, unit, { route: outcome.route, durationMs, status: outcome.status ?? 0, failed });
    })().catch((err: unknown) => io.log.warn('usage.meter_failed', { tenantId: unit.tenantId, error: errorMessage(err) })),
  );
}

/** Waits for the unit's waitUntil work, including any that work starts. */
async function settleBackground(unit: UnitOfWork): Promise<void> {
  for (let settled = 0; settled < unit.background.length; ) {
    const pending = unit.background.slice(settled);
    settled = unit.background.length;
    await Promise.allSettled(pending);
  }
}

/** What `now` used beyond `before`; null when nothing. */
function difference(now: Usage, before: Usage): Usage | null {
  const delta = emptyUsage();
  let any = false;
  for (const key of Object.keys(delta) as (keyof Usage)[]) {
    delta[key] = now[key] - before[key];
    if (delta[key] !== 0) any = true;
  }
  return any ? delta : null;
}
