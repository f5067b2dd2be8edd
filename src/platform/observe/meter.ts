/**
 * Usage metering per tenant per day (decision 0013-usage-metering).
 * Every unit of work done for a tenant adds its usage to that tenant's
 * `UsageMeter` object (one per tenant, `idFromName(tenantId)`), after the
 * response, in `waitUntil`: never a D1 round trip, never on the request
 * path. Deployed, every unit is also one Workers Analytics Engine data point
 * indexed by tenant (binding USAGE), for fleet-wide queries and the SLOs
 * (docs/operations/slo.md). Counts may be lost (an isolate dying before
 * its waitUntil ends): fine for metering, not for billing.
 *
 * While a tenant's last 30 days hold any usage, its meter also writes them,
 * and what they cost, to its row in D1's `usage_rollups` every few hours
 * from its own alarm: the operator console reads those rows, one per
 * tenant, instead of asking every tenant's object (decision
 * 0019-console-economics).
 */
import { DurableObject } from 'cloudflare:workers';
import { database } from '../db/client';
import { isForeignKeyViolation } from '../db/errors';
import { usageRollups } from '../db/schema';
import { meteredCost } from '../economics/pricing';
import { PRICES } from '../economics/prices';
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
/** The window the rollup and the console speak of. */
export const ROLLUP_DAYS = 30;
/** How many days a meter keeps: the most the usage API reads back (features/usage). Older days are deleted by the rollup alarm. */
export const USAGE_KEPT_DAYS = 90;
/** How stale a rollup may get: one D1 write per active tenant per interval. */
export const ROLLUP_EVERY_MS = 6 * 60 * 60 * 1000;
const TENANT_KEY = 'tenantId';

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

  async add(tenantId: string, date: string, counts: MeterCounts): Promise<void> {
    const columns = METER_KEYS.map((k) => COLUMNS[k]);
    const values = METER_KEYS.map((k) => Math.max(0, Math.trunc(counts[k] ?? 0)));
    this.ctx.storage.sql.exec(
      `INSERT INTO usage_days (date, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})
       ON CONFLICT (date) DO UPDATE SET ${columns.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
      date,
      ...values,
    );
    if ((await this.ctx.storage.getAlarm()) === null) {
      // The alarm has no caller to name the tenant: the object keeps its name.
      await this.ctx.storage.put(TENANT_KEY, tenantId);
      await this.ctx.storage.setAlarm(Date.now() + ROLLUP_EVERY_MS);
    }
  }

  /**
   * Deletes the days older than USAGE_KEPT_DAYS, writes the window's totals
   * and cost to the tenant's rollup row, and comes back later while the
   * window holds usage (so an idle tenant's row decays to
   * zero, then stops being written). A deleted tenant's row is refused by the
   * foreign key: the meter then stops.
   */
  override async alarm(): Promise<void> {
    const tenantId = await this.ctx.storage.get<string>(TENANT_KEY);
    if (!tenantId) return;
    const now = Date.now();
    // Retention: days nothing reads any more. An idle meter's alarm stops, so it keeps at most USAGE_KEPT_DAYS rows until its next add.
    this.ctx.storage.sql.exec('DELETE FROM usage_days WHERE date < ?', utcDate(now - (USAGE_KEPT_DAYS - 1) * DAY_MS));
    const windowFrom = utcDate(now - (ROLLUP_DAYS - 1) * DAY_MS);
    const days = this.since(windowFrom);
    const total = (key: keyof MeterCounts) => days.reduce((n, day) => n + day[key], 0);
    const counts = {
      requests: total('requests'),
      d1RowsRead: total('d1RowsRead'),
      d1RowsWritten: total('d1RowsWritten'),
      doCalls: total('doCalls'),
      queueMessages: total('queueMessages'),
      emails: total('emails'),
    };
    // Each message is delivered once, retries aside. Billed object requests: the calls, and this meter's own add
    // for every request and call (queue deliveries' adds and alarms are not counted here: a floor).
    const costUsd = meteredCost({ ...counts, doRequests: 2 * counts.doCalls + counts.requests, queueDeliveries: counts.queueMessages }, PRICES);
    const row = { tenantId, windowFrom, rolledUpAt: now, ...counts, costUsd };
    try {
      await database(this.env.DB).insert(usageRollups).values(row).onConflictDoUpdate({ target: usageRollups.tenantId, set: row });
    } catch (err) {
      if (isForeignKeyViolation(err)) return;
      throw err;
    }
    if (days.length > 0) await this.ctx.storage.setAlarm(now + ROLLUP_EVERY_MS);
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
 * How long this isolate gathers finished units before adding them to their
 * tenants' meters: one object call per tenant per flush instead of one per
 * unit (decision 0024-request-path-fixed-cost). An isolate that dies in
 * this window loses what it gathered, as a lost waitUntil always could.
 */
export const METER_FLUSH_MS = 500;

/** Units finished in this isolate and not yet added, summed per tenant and day. */
const gathered = new Map<string, { tenantId: string; date: string; counts: MeterCounts }>();
/** Whether a unit's waitUntil has taken on the next flush already. */
let flushPending = false;

function gather(tenantId: string, date: string, counts: MeterCounts): void {
  const key = `${tenantId}/${date}`;
  const entry = gathered.get(key);
  if (!entry) gathered.set(key, { tenantId, date, counts: { ...counts } });
  else for (const k of METER_KEYS) entry.counts[k] += counts[k];
}

/** Adds everything gathered to the meters, one call per tenant and day; an entry that fails is reported, the others still land. */
async function addGathered(env: Env): Promise<void> {
  const entries = [...gathered.values()];
  gathered.clear();
  const results = await Promise.allSettled(entries.map(({ tenantId, date, counts }) => meterOf(env, tenantId).add(tenantId, date, counts)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Meters a finished unit (call inside waitUntil). Every unit is one
 * Analytics Engine data point (deployed only), index = tenant id or "none":
 * blobs kind, route, principal, outcome ("ok" | "error"); doubles the
 * counters in METER_KEYS order, then duration ms and status. Units for a
 * tenant are also gathered for that tenant's day in its meter: the first
 * unit that finds no flush pending waits METER_FLUSH_MS and adds everything
 * gathered by then, in its own waitUntil. The others only gather: the
 * runtime cancels a request that waits on another request's work.
 */
export async function meterUnit(env: Env, unit: UnitOfWork, outcome: { route: string; durationMs: number; status: number; failed: boolean }): Promise<void> {
  const counts: MeterCounts = { ...unit.usage, requests: unit.kind === 'request' ? 1 : 0 };
  uninstrumented(env).USAGE?.writeDataPoint({
    indexes: [unit.tenantId ?? 'none'],
    blobs: [unit.kind, outcome.route, unit.principal, outcome.failed ? 'error' : 'ok'],
    doubles: [...METER_KEYS.map((k) => counts[k]), outcome.durationMs, outcome.status],
  });
  // A unit that used nothing (an object call such as a rate-limit lease: no D1, no call onwards) adds nothing to the day.
  if (!unit.tenantId || !METER_KEYS.some((k) => counts[k] > 0)) return;
  gather(unit.tenantId, utcDate(unit.started), counts);
  if (flushPending) return;
  flushPending = true;
  await new Promise((resolve) => setTimeout(resolve, METER_FLUSH_MS));
  flushPending = false;
  await addGathered(env);
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
