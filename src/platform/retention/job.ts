/**
 * The retention job: on every cron tick, deletes what the policy (./policy.ts)
 * no longer keeps. Each table is one DELETE of at most `RETENTION_BATCH` rows
 * chosen through an index on the policy's clock column, so a run never holds
 * D1's single writer for long, and a backlog drains over the next ticks.
 * Each DELETE is one statement, atomic in D1: two runs at once delete
 * different rows or nothing, and a second run after the first finds nothing.
 */
import { lte, sql, type SQL } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { database } from '../db/client';
import { accountEmails, invitations, outboxEmails, securityLog, sessions, stripeEvents, userTokens } from '../db/schema';
import type { ScheduledJob } from '../feature';
import { DAY_MS, PRUNED, type PrunedTable } from './policy';

/** Rows per table per run: 288 runs a day drain about 288,000 rows a day from each table. */
export const RETENTION_BATCH = 1000;

interface Rule {
  table: SQLiteTable;
  /** Rows whose clock started at or before `cutoff`; each condition is served by an index on its column (schema.ts, "Retention"). */
  due(cutoff: number): SQL;
}

const RULES: Record<PrunedTable, Rule> = {
  sessions: { table: sessions, due: (cutoff) => lte(sessions.expiresAt, cutoff) },
  user_tokens: { table: userTokens, due: (cutoff) => lte(userTokens.expiresAt, cutoff) },
  security_log: { table: securityLog, due: (cutoff) => lte(securityLog.at, cutoff) },
  account_emails: { table: accountEmails, due: (cutoff) => lte(accountEmails.createdAt, cutoff) },
  outbox_emails: { table: outboxEmails, due: (cutoff) => lte(outboxEmails.createdAt, cutoff) },
  invitations: { table: invitations, due: (cutoff) => lte(invitations.expiresAt, cutoff) },
  // NULL <= cutoff is not true: unprocessed and dead events (processed_at NULL) are never due.
  stripe_events: { table: stripeEvents, due: (cutoff) => lte(stripeEvents.processedAt, cutoff) },
};

export interface RetentionReport extends Record<string, unknown> {
  /** Rows deleted per table (tables with none left out). */
  deleted: Partial<Record<PrunedTable, number>>;
  /** Tables that filled their batch: more is due, and the next ticks take it. */
  behind: PrunedTable[];
}

/**
 * Deletes at most `batch` of `table`'s rows matching `due`, in one statement;
 * answers how many went. `table` must be a rowid table: the subquery's LIMIT
 * bounds the statement (D1's DELETE takes no LIMIT of its own).
 */
export async function deleteBatch(db: D1Database, table: SQLiteTable, due: SQL, batch = RETENTION_BATCH): Promise<number> {
  const result = await database(db).run(sql`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${due} LIMIT ${batch})`);
  return result.meta.changes;
}

/** Deletes one batch of each table's rows past the policy's window at `now`. */
export async function pruneExpiredRows(db: D1Database, now: number, batch = RETENTION_BATCH): Promise<RetentionReport> {
  const report: RetentionReport = { deleted: {}, behind: [] };
  for (const name of Object.keys(RULES) as PrunedTable[]) {
    const { table, due } = RULES[name];
    const deleted = await deleteBatch(db, table, due(now - PRUNED[name].days * DAY_MS), batch);
    if (deleted > 0) report.deleted[name] = deleted;
    if (deleted >= batch) report.behind.push(name);
  }
  return report;
}

/** What the cron tick's wide event reports under `jobs.retention`. */
export const retentionJob: ScheduledJob<RetentionReport> = {
  name: 'retention',
  run: (ctx, now) => pruneExpiredRows(ctx.env.DB, now),
};
