/**
 * Usage metering per tenant per day (decision 0013-usage-metering).
 * Every unit of work done for a tenant adds its usage to that tenant's
 * `UsageMeter` object (one per tenant, `idFromName(tenantId)`), after the
 * response, in `waitUntil`: never a D1 round trip, never on the request
 * path. Deployed, every unit is also one Workers Analytics Engine data point
 * indexed by tenant (binding USAGE), for fleet-wide queries and the SLOs
 * (docs/operations/slo.md). Counts may be lost (an isolate dying before
 * its waitUntil ends): fine for metering, not for billing.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { uninstrumented } from './instrument';
import type { UnitOfWork, Usage } from './usage';

/** One day of one tenant's usage, as GET …/usage answers it. */
export interface UsageDay {
  date: string;
  requests: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  doCalls: number;
  queueMessages: number;
  emails: number;
}

/** What one unit adds to its day: the resources, and 1 request when the unit was one. */
export type MeterCounts = Usage & { requests: number };

const COLUMNS = {
  requests: 'requests',
  d1Queries: 'd1_queries',
  d1RoundTrips: 'd1_round_trips',
  d1RowsRead: 'd1_rows_read',
  d1RowsWritten: 'd1_rows_written',
  doCalls: 'do_calls',
  queueMessages: 'queue_messages',
  emails: 'emails',
  stripeCalls: 'stripe_calls',
} as const satisfies Record<keyof MeterCounts, string>;

const METER_KEYS = Object.keys(COLUMNS) as (keyof MeterCounts)[];
const DAY_MS = 86_400_000;

export const utcDate = (at: number) => new Date(at).toISOString().slice(0, 10);

/** One tenant's daily counters, in the object's own SQLite storage. */
export class UsageMeter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS usage_days (date TEXT PRIMARY KEY, ${Object.values(COLUMNS)
        .map((c) => `${c} INTEGER NOT NULL DEFAULT 0`)
        .join(', ')})`,
    );
  }

  add(date: string, counts: MeterCounts): void {
    const columns = METER_KEYS.map((k) => COLUMNS[k]);
    const values = METER_KEYS.map((k) => Math.max(0, Math.trunc(counts[k] ?? 0)));
    this.ctx.storage.sql.exec(
      `INSERT INTO usage_days (date, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})
       ON CONFLICT (date) DO UPDATE SET ${columns.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
      date,
      ...values,
    );
  }

  /** Every day from `from` (a UTC date, inclusive) on, oldest first. */
  since(from: string): (MeterCounts & { date: string })[] {
    return this.ctx.storage.sql
      .exec<Record<string, number | string>>(`SELECT * FROM usage_days WHERE date >= ? ORDER BY date`, from)
      .toArray()
      .map((row) => ({ date: String(row.date), ...Object.fromEntries(METER_KEYS.map((k) => [k, Number(row[COLUMNS[k]])])) }) as MeterCounts & { date: string });
  }
}

function meterOf(env: Env, tenantId: string) {
  const ns = uninstrumented(env).USAGE_METER;
  return ns.get(ns.idFromName(tenantId));
}

/**
 * Meters a finished unit (call inside waitUntil). Every unit is one Analytics
 * Engine data point (deployed only), index = tenant id or "none": blobs
 * kind, route, principal, outcome ("ok" | "error"); doubles the counters in
 * METER_KEYS order, then duration ms and status. Units for a tenant are
 * also added to that tenant's day in its meter.
 */
export async function meterUnit(env: Env, unit: UnitOfWork, outcome: { route: string; durationMs: number; status: number; failed: boolean }): Promise<void> {
  const counts: MeterCounts = { ...unit.usage, requests: unit.kind === 'request' ? 1 : 0 };
  uninstrumented(env).USAGE?.writeDataPoint({
    indexes: [unit.tenantId ?? 'none'],
    blobs: [unit.kind, outcome.route, unit.principal, outcome.failed ? 'error' : 'ok'],
    doubles: [...METER_KEYS.map((k) => counts[k]), outcome.durationMs, outcome.status],
  });
  // A unit that used nothing (a rate limit's count in its object: no D1, no call onwards) adds nothing to the day: no meter call.
  if (unit.tenantId && METER_KEYS.some((k) => counts[k] > 0)) await meterOf(env, unit.tenantId).add(utcDate(unit.started), counts);
}

/** The tenant's last `days` UTC days, today included, oldest first; days with no work are zeros. */
export async function usageByDay(env: Env, tenantId: string, days: number, now = Date.now()): Promise<UsageDay[]> {
  const dates = Array.from({ length: days }, (_, i) => utcDate(now - (days - 1 - i) * DAY_MS));
  const recorded = new Map((await meterOf(env, tenantId).since(dates[0]!)).map((row) => [row.date, row]));
  return dates.map((date) => {
    const row = recorded.get(date);
    return {
      date,
      requests: row?.requests ?? 0,
      d1RowsRead: row?.d1RowsRead ?? 0,
      d1RowsWritten: row?.d1RowsWritten ?? 0,
      doCalls: row?.doCalls ?? 0,
      queueMessages: row?.queueMessages ?? 0,
      emails: row?.emails ?? 0,
    };
  });
}
