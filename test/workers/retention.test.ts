/**
 * The retention job (src/platform/retention) on the real local D1: what the
 * policy no longer keeps goes, what it keeps stays, one bounded batch per
 * table per run, and a session it deleted stays gone.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { serviceContext } from '../../src/platform/context';
import { FEATURES } from '../../src/app';
import { sweepIdempotencyKeys } from '../../src/platform/http/idempotency';
import { runScheduledJobs, scheduledJobs } from '../../src/platform/jobs';
import { pruneExpiredRows, retentionJob } from '../../src/platform/retention/job';
import { DAY_MS, KEPT, PRUNED, type PrunedTable } from '../../src/platform/retention/policy';
import { appTables, recordingStatements } from './db-snapshot';
import { call, PASSWORD, signUpOwner, type SignedUp } from './helpers';
import { capturedLines } from './log-capture';

const MINUTE = 60_000;

/** One row of `table` whose retention clock started at `clock`, owned by `owner`; returns how to find it again. */
async function rowStartedAt(table: PrunedTable, clock: number, owner: SignedUp): Promise<{ table: PrunedTable; where: string; id: string | number }> {
  const id = `${table}_${crypto.randomUUID()}`;
  const user = owner.user.id;
  const tenant = owner.tenant.id;
  const insert = {
    sessions: ['INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)', [id, user, clock - 12 * 60 * MINUTE, clock - 60 * MINUTE, clock]],
    user_tokens: ["INSERT INTO user_tokens (id, user_id, purpose, token_hash, email, expires_at) VALUES (?, ?, 'password_reset', ?, 'x@example.test', ?)", [id, user, id, clock]],
    account_emails: ["INSERT INTO account_emails (id, \"to\", subject, text, created_at, sent_at) VALUES (?, 'x@example.test', 's', 't', ?, ?)", [id, clock, clock]],
    outbox_emails: ["INSERT INTO outbox_emails (id, tenant_id, \"to\", subject, text, created_at, sent_at) VALUES (?, ?, 'x@example.test', 's', 't', ?, ?)", [id, tenant, clock, clock]],
    invitations: [
      "INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, status, expires_at, created_at) VALUES (?, ?, ?, 'member', ?, ?, 'accepted', ?, ?)",
      [id, tenant, `${id}@example.test`, id, user, clock, clock - 7 * DAY_MS],
    ],
    stripe_events: ["INSERT INTO stripe_events (id, type, payload, received_at, processed_at) VALUES (?, 'invoice.paid', '{}', ?, ?)", [id, clock - MINUTE, clock]],
  } satisfies Partial<Record<PrunedTable, [string, unknown[]]>>;
  if (table === 'security_log') {
    const row = await env.DB.prepare("INSERT INTO security_log (user_id, event, at) VALUES (?, 'signin.succeeded', ?) RETURNING id").bind(user, clock).first<{ id: number }>();
    return { table, where: 'id = ?', id: row!.id };
  }
  const [sql, params] = insert[table];
  await env.DB.prepare(sql).bind(...params).run();
  return { table, where: 'id = ?', id };
}

async function exists(row: { table: string; where: string; id: string | number }): Promise<boolean> {
  return (await env.DB.prepare(`SELECT 1 AS found FROM "${row.table}" WHERE ${row.where}`).bind(row.id).first()) !== null;
}

async function count(table: string, where: string, ...params: unknown[]): Promise<number> {
  return (await env.DB.prepare(`SELECT count(*) AS n FROM "${table}" WHERE ${where}`).bind(...params).first<{ n: number }>())!.n;
}

const TABLES = Object.keys(PRUNED) as PrunedTable[];

describe('the retention policy', () => {
  it('names every table of the schema once: pruned with a window, or kept with a reason', async () => {
    const pruned = Object.keys(PRUNED);
    const kept = Object.keys(KEPT);
    expect(pruned.filter((t) => kept.includes(t))).toEqual([]);
    expect([...pruned, ...kept].sort()).toEqual(await appTables());
    for (const rule of Object.values(PRUNED)) expect(rule.days).toBeGreaterThan(0);
  });
});

describe('the retention job', () => {
  it("deletes rows past their table's window, keeps rows inside it, and another tenant's rows go only by their own age", async () => {
    const a = await signUpOwner('Old Co');
    const b = await signUpOwner('New Co');
    const now = Date.now() + 400 * DAY_MS;
    const past: Awaited<ReturnType<typeof rowStartedAt>>[] = [];
    const inside: Awaited<ReturnType<typeof rowStartedAt>>[] = [];
    for (const table of TABLES) {
      const window = PRUNED[table].days * DAY_MS;
      past.push(await rowStartedAt(table, now - window - MINUTE, a));
      inside.push(await rowStartedAt(table, now - window + MINUTE, b));
    }

    const report = await pruneExpiredRows(env.DB, now);

    for (const row of past) expect(await exists(row), `${row.table} past its window`).toBe(false);
    for (const row of inside) expect(await exists(row), `${row.table} inside its window`).toBe(true);
    expect(report.behind).toEqual([]);
    for (const table of TABLES) expect(report.deleted[table], table).toBeGreaterThanOrEqual(1);

    // Two minutes later B's rows have aged past the window too, and go the same way.
    await pruneExpiredRows(env.DB, now + 2 * MINUTE);
    for (const row of inside) expect(await exists(row), `${row.table} once past its window`).toBe(false);
  });

  it('keeps unprocessed and dead Stripe events whatever their age', async () => {
    const long = Date.now() - 1000 * DAY_MS;
    const unprocessed = `evt_${crypto.randomUUID()}`;
    const dead = `evt_${crypto.randomUUID()}`;
    await env.DB.batch([
      env.DB.prepare("INSERT INTO stripe_events (id, type, payload, received_at) VALUES (?, 'invoice.paid', '{}', ?)").bind(unprocessed, long),
      env.DB.prepare("INSERT INTO stripe_events (id, type, payload, received_at, dead_at, attempts) VALUES (?, 'invoice.paid', '{}', ?, ?, 5)").bind(dead, long, long),
    ]);
    await pruneExpiredRows(env.DB, Date.now());
    expect(await count('stripe_events', 'id IN (?, ?)', unprocessed, dead)).toBe(2);
  });

  it('deletes at most its batch per table per run, says which tables are behind, and drains them over the next runs', async () => {
    const owner = await signUpOwner();
    const now = Date.now() + 400 * DAY_MS;
    const old = now - PRUNED.sessions.days * DAY_MS - DAY_MS;
    await env.DB.batch(
      Array.from({ length: 25 }, () =>
        env.DB.prepare('INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)').bind(`ses_${crypto.randomUUID()}`, owner.user.id, old, old, old),
      ),
    );
    const before = await count('sessions', 'user_id = ?', owner.user.id);

    const first = await pruneExpiredRows(env.DB, now, 10);
    expect(first.deleted.sessions).toBe(10);
    expect(first.behind).toContain('sessions');
    expect(await count('sessions', 'user_id = ?', owner.user.id)).toBe(before - 10);

    await pruneExpiredRows(env.DB, now, 10);
    const third = await pruneExpiredRows(env.DB, now, 10);
    expect(third.behind).not.toContain('sessions');
    // Everything of this user's is due by then (sign-up's session included); the last run finds nothing more.
    expect(await count('sessions', 'user_id = ?', owner.user.id)).toBe(0);
    expect(await pruneExpiredRows(env.DB, now, 10)).toEqual({ deleted: {}, behind: [] });
  });

  it('two runs at once delete every due row once, and neither fails', async () => {
    const owner = await signUpOwner();
    const now = Date.now() + 400 * DAY_MS;
    const old = now - PRUNED.security_log.days * DAY_MS - DAY_MS;
    await env.DB.batch(
      Array.from({ length: 30 }, () => env.DB.prepare("INSERT INTO security_log (user_id, event, at) VALUES (?, 'signin.failed', ?)").bind(owner.user.id, old)),
    );
    const due = await count('security_log', 'at <= ?', now - PRUNED.security_log.days * DAY_MS);

    const [one, two] = await Promise.all([pruneExpiredRows(env.DB, now, 20), pruneExpiredRows(env.DB, now, 20)]);

    expect((one.deleted.security_log ?? 0) + (two.deleted.security_log ?? 0)).toBe(due);
    expect(await count('security_log', 'user_id = ? AND at <= ?', owner.user.id, old)).toBe(0);
  });

  it('a revoked session it deleted cannot come back: its token stays refused and no row reappears', async () => {
    const owner = await signUpOwner();
    const login = await call('POST', '/api/auth/login', { body: { email: owner.user.email, password: PASSWORD } });
    expect(login.status).toBe(200);
    const token: string = login.body.token;
    expect((await call('POST', '/api/auth/logout', { token })).status).toBe(204);
    const [session] = (await env.DB.prepare('SELECT id, expires_at FROM sessions WHERE user_id = ? AND revoked_at IS NOT NULL').bind(owner.user.id).all<{ id: string; expires_at: number }>()).results;
    expect(session).toBeDefined();

    // Still inside its window: kept, and refused because it is revoked.
    await pruneExpiredRows(env.DB, session!.expires_at + PRUNED.sessions.days * DAY_MS - MINUTE);
    expect(await count('sessions', 'id = ?', session!.id)).toBe(1);
    await pruneExpiredRows(env.DB, session!.expires_at + PRUNED.sessions.days * DAY_MS);
    expect(await count('sessions', 'id = ?', session!.id)).toBe(0);

    // The token's signature is still good (its 12 hours have not passed here): only the missing row refuses it.
    const after = await call('GET', '/api/me', { token });
    expect(after.status).toBe(401);
    expect(await count('sessions', 'id = ?', session!.id)).toBe(0);
  });

  it('every DELETE finds its rows through an index, and its SELECT is bounded', async () => {
    const { db: recording, statements } = recordingStatements(env.DB);
    await pruneExpiredRows(recording, Date.now(), 5);
    expect(statements).toHaveLength(TABLES.length);
    const scans: string[] = [];
    for (const sql of statements) {
      expect(sql).toMatch(/LIMIT \?\)$/);
      const params = (sql.match(/\?/g) ?? []).map(() => 0);
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
      for (const { detail } of plan.results) if (/^SCAN |USING AUTOMATIC/.test(detail)) scans.push(`${detail} in ${sql}`);
    }
    expect(scans, scans.join('\n')).toEqual([]);
  });

  it("runs on the Worker's cron tick, last, and reports what it deleted in the tick's wide event", async () => {
    expect(scheduledJobs(FEATURES).map((job) => job.name).at(-1)).toBe('retention');
    const owner = await signUpOwner();
    const now = Date.now() + 400 * DAY_MS;
    await rowStartedAt('user_tokens', now - PRUNED.user_tokens.days * DAY_MS - DAY_MS, owner);
    const results = await runScheduledJobs([retentionJob], serviceContext(env, 'test-retention-tick'), '*/5 * * * *', now);
    expect(results.retention).toMatchObject({ deleted: { user_tokens: expect.any(Number) }, behind: [] });
    const event = capturedLines().find((line) => line.msg === 'cron' && line.requestId === 'test-retention-tick');
    expect(event).toMatchObject({ jobs: { retention: results.retention } });
    expect((event as unknown as { usage: { d1RowsWritten: number } }).usage.d1RowsWritten).toBeGreaterThan(0);
  });
});

describe('the idempotency sweep', () => {
  it('forgets expired answers a bounded batch per statement, stops when the tick\'s share is spent, and keeps live ones', async () => {
    const now = Date.now();
    await env.DB.prepare('DELETE FROM idempotency_keys').run();
    const insert = env.DB.prepare('INSERT INTO idempotency_keys (id, request_hash, lock_token, locked_at, response_status, response, expires_at) VALUES (?, ?, ?, ?, 201, ?, ?)');
    const key = (id: string, expiresAt: number) => insert.bind(id, 'h', 't', expiresAt - DAY_MS, 'sealed', expiresAt);
    await env.DB.batch([
      ...Array.from({ length: 25 }, (_, i) => key(`expired-${i}`, now - 1 - i)),
      ...Array.from({ length: 3 }, (_, i) => key(`live-${i}`, now + MINUTE + i)),
    ]);
    const { db: recording, statements } = recordingStatements(env.DB);
    const ctx = serviceContext({ ...env, DB: recording }, 'test-idempotency-sweep');

    // Two statements of 10: 20 forgotten, 5 left for the next tick.
    expect(await sweepIdempotencyKeys(ctx, now, { batch: 10, batches: 2 })).toBe(20);
    expect(statements).toHaveLength(2);
    for (const sql of statements) expect(sql).toMatch(/limit \?/i);
    expect(await count('idempotency_keys', "id LIKE 'expired-%'")).toBe(5);

    // The next tick takes the rest and stops at the first batch that is not full.
    expect(await sweepIdempotencyKeys(ctx, now, { batch: 10, batches: 20 })).toBe(5);
    expect(statements).toHaveLength(3);
    expect(await count('idempotency_keys', "id LIKE 'expired-%'")).toBe(0);
    expect(await count('idempotency_keys', "id LIKE 'live-%'")).toBe(3);
  });
});
