/**
 * One Durable Object per tenant (`idFromName(tenantId)`): the authority for
 * the tenant's seats and plan limits. Why an object, the order of writes the
 * services follow, and what happens when it is unreachable:
 * docs/decisions/0001-seats-durable-object.md.
 *
 * Atomicity rests on two properties of a SQLite-backed object: its storage
 * calls are synchronous, and only an `await` lets another call in. So every
 * check-then-write below (count, then insert) runs with no `await` between
 * the check and the write; keep it that way.
 */
import { rateTierFor } from '../public-api/policy';
import { leaseRequests, RATE_BUCKETS_TABLE, type Bucket, type RateLease } from '../public-api/rate-window';
import { seatLedger } from '../../platform/db/cross-tenant';
import type { Env } from '../../platform/env';
import { createLogger, errorMessage } from '../../platform/log/logger';
import { ObservedDurableObject } from '../../platform/observe/durable-object';
import { entitlementFor, FREE_LIMITS, type Limits } from '../billing/plans';
import { isSeatHolder, type ReconcileResult, type ReserveOptions, type SeatResult, type SeatUsage } from './model';

/**
 * A holder the object has and D1 lacks is kept this long: the services
 * reserve here first and write D1 second, so a young holder's row may still
 * be in flight.
 */
export const RECONCILE_GRACE_MS = 60_000;
/** How often the alarm recomputes usage from D1 while the tenant holds seats. */
export const RECONCILE_INTERVAL_MS = 10 * 60_000;
/** When a reconciliation fails (D1 unreachable), the alarm tries again this soon. */
export const RECONCILE_RETRY_MS = 60_000;

type HolderRow = { holder: string; expires_at: number | null; created_at: number };
type StateRow = {
  tenant_id: string | null;
  seats_limit: number | null;
  projects_limit: number | null;
  reconciled_at: number | null;
};

function isLive(expiresAt: number | null, now: number): boolean {
  return expiresAt === null || expiresAt > now;
}

function assertHolder(holder: unknown): asserts holder is string {
  if (!isSeatHolder(holder)) throw new TypeError(`TenantDO: invalid seat holder ${JSON.stringify(holder)}`);
}

function assertExpiry(expiresAt: unknown): asserts expiresAt is number | undefined {
  if (expiresAt !== undefined && !Number.isSafeInteger(expiresAt)) throw new RangeError('TenantDO: expiresAt must be epoch milliseconds');
}

function assertFuture(expiresAt: number | undefined, now: number): void {
  if (expiresAt !== undefined && expiresAt <= now) throw new RangeError('TenantDO: expiresAt is in the past');
}

function assertLimit(value: unknown, name: string): asserts value is number | null {
  if (value !== null && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
    throw new RangeError(`TenantDO: ${name} limit must be a non-negative integer or null`);
  }
}

export class TenantDO extends ObservedDurableObject {
  readonly #sql: SqlStorage;
  /** The first reconciliation of an object that has never had one; shared by the calls that wait for it. */
  #initialised: Promise<void> | null = null;
  #alarmChecked: Promise<void> | null = null;
  /** Reconciliations run one at a time, in call order. */
  #reconcileTail: Promise<unknown> = Promise.resolve();
  /**
   * Holders released while a reconciliation awaits D1: its snapshot may
   * predate the release, and must not bring them back.
   */
  #releasedDuringReconcile: Set<string> | null = null;

  /** Named leases (`checkout`): held in memory, so an evicted object frees them; each also ends at its deadline. */
  readonly #leases = new Map<string, { token: string; until: number }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => this.#createStorage());
  }

  /** Gives `holder` a seat (or refreshes its expiry); `created_at` starts its reconciliation grace window. */
  #upsertHolder(holder: string, expiresAt: number | null, now: number): void {
    this.#sql.exec(
      `INSERT INTO seat_holders (holder, expires_at, created_at) VALUES (?, ?, ?)
       ON CONFLICT (holder) DO UPDATE SET expires_at = excluded.expires_at, created_at = excluded.created_at`,
      holder,
      expiresAt,
      now,
    );
  }

  #createStorage(): void {
    this.#sql.exec(RATE_BUCKETS_TABLE);
    this.#sql.exec(`
      CREATE TABLE IF NOT EXISTS seat_holders (
        holder TEXT PRIMARY KEY,
        expires_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS tenant_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        tenant_id TEXT,
        seats_limit INTEGER,
        projects_limit INTEGER,
        reconciled_at INTEGER
      );
    `);
    this.#sql.exec(
      'INSERT OR IGNORE INTO tenant_state (id, seats_limit, projects_limit) VALUES (1, ?, ?)',
      FREE_LIMITS.seats,
      FREE_LIMITS.projects,
    );
  }

  /**
   * Takes a seat for `holder`, unless the tenant is full. Idempotent: a live
   * holder is answered `ok: true` without counting twice (its expiry is set
   * to this call's, so re-sending an invitation extends it).
   */
  async reserveSeat(tenantId: string, holder: string, opts: ReserveOptions = {}): Promise<SeatResult> {
    assertHolder(holder);
    assertExpiry(opts.expiresAt);
    await this.#enter(tenantId);
    const now = Date.now();
    assertFuture(opts.expiresAt, now);
    const ok = this.#take(holder, opts.expiresAt ?? null, now);
    return { ok, usage: this.#usage(now) };
  }

  /** Gives `holder`'s seat back; a no-op when it holds none. */
  async releaseSeat(tenantId: string, holder: string): Promise<SeatUsage> {
    assertHolder(holder);
    await this.#enter(tenantId);
    this.#delete(holder);
    return this.#usage(Date.now());
  }

  /**
   * Renames a seat, e.g. `invitation:<id>` → `member:<userId>` when an
   * invitation is accepted: a live `from` already holds a seat, so this never
   * fails for lack of room. When `from` holds none (expired, released or
   * reconciled away), `to` needs a free seat exactly like `reserveSeat`.
   *
   * When `to` already holds a seat nothing moves and `from` keeps its own:
   * merging two seats into one could leave the object counting fewer holders
   * than D1 has (an existing member accepting an invitation whose D1 write
   * then fails), and the object must only ever err towards counting more.
   *
   * `to` expires at `opts.expiresAt` if given; otherwise a member never
   * expires and any other holder keeps `from`'s expiry.
   */
  async transferSeat(tenantId: string, from: string, to: string, opts: ReserveOptions = {}): Promise<SeatResult> {
    assertHolder(from);
    assertHolder(to);
    if (from === to) throw new TypeError('TenantDO: transferSeat needs two different holders');
    assertExpiry(opts.expiresAt);
    await this.#enter(tenantId);
    const now = Date.now();
    assertFuture(opts.expiresAt, now);
    const target = this.#holder(to);
    if (target && isLive(target.expires_at, now)) return { ok: true, usage: this.#usage(now) };
    const source = this.#holder(from);
    const expiresAt = opts.expiresAt ?? (to.startsWith('member:') ? null : (source?.expires_at ?? null));
    if (!source || !isLive(source.expires_at, now)) {
      if (source) this.#delete(from);
      const ok = this.#take(to, expiresAt, now);
      return { ok, usage: this.#usage(now) };
    }
    this.ctx.storage.transactionSync(() => {
      this.#delete(from);
      // created_at is now: D1's row for `to` is being written, the grace window covers it.
      this.#upsertHolder(to, expiresAt, now);
    });
    return { ok: true, usage: this.#usage(now) };
  }

  /**
   * Applies a plan's limits (pushed by the billing consumer after it wrote
   * the subscription to D1). Lowering a limit removes nobody: `used` may
   * exceed it, and new seats are refused until it no longer does.
   */
  async setLimits(tenantId: string, limits: Limits): Promise<SeatUsage> {
    assertLimit(limits.seats, 'seats');
    assertLimit(limits.projects, 'projects');
    await this.#enter(tenantId);
    this.#sql.exec('UPDATE tenant_state SET seats_limit = ?, projects_limit = ? WHERE id = 1', limits.seats, limits.projects);
    return this.#usage(Date.now());
  }

  /**
   * Takes the lease `name` for `ttlMs` if nobody holds it: one caller at a
   * time per tenant for work that talks to Stripe and must not interleave
   * (two checkouts expiring each other). Answers the token to release it with, or null.
   */
  async acquireLease(tenantId: string, name: string, ttlMs: number): Promise<string | null> {
    this.#claimTenant(tenantId);
    const now = Date.now();
    const held = this.#leases.get(name);
    if (held && held.until > now) return null;
    const token = crypto.randomUUID();
    this.#leases.set(name, { token, until: now + ttlMs });
    return token;
  }

  async releaseLease(tenantId: string, name: string, token: string): Promise<void> {
    this.#claimTenant(tenantId);
    if (this.#leases.get(name)?.token === token) this.#leases.delete(name);
  }

  /**
   * A seat reduction's first step: the new limit is in force here before
   * Stripe is asked, so no holder can arrive between the "quantity ≥ used"
   * check and Stripe's answer. Refused (nothing changed) when more seats
   * than `limit` are held now. Check and write run with no await between.
   */
  async lowerSeatLimit(tenantId: string, limit: number): Promise<SeatResult> {
    assertLimit(limit, 'seats');
    await this.#enter(tenantId);
    const now = Date.now();
    if (this.#countLive(now) > limit) return { ok: false, usage: this.#usage(now) };
    this.#sql.exec('UPDATE tenant_state SET seats_limit = ? WHERE id = 1', limit);
    return { ok: true, usage: this.#usage(now) };
  }

  /** Undoes `lowerSeatLimit` when Stripe refused, unless a newer limit (a webhook's) has been set since. */
  async restoreSeatLimit(tenantId: string, lowered: number, previous: number | null): Promise<SeatUsage> {
    assertLimit(lowered, 'seats');
    assertLimit(previous, 'seats');
    await this.#enter(tenantId);
    this.#sql.exec('UPDATE tenant_state SET seats_limit = ? WHERE id = 1 AND seats_limit = ?', previous, lowered);
    return this.#usage(Date.now());
  }

  async usage(tenantId: string): Promise<SeatUsage> {
    await this.#enter(tenantId);
    return this.#usage(Date.now());
  }

  /**
   * Recomputes holders and limits from D1: members, plus pending invitations
   * that have not expired; limits from the subscription through the plan
   * policy (no subscription row: free). A holder D1 lacks is kept while it is
   * younger than the grace window.
   */
  async reconcile(tenantId: string): Promise<ReconcileResult> {
    this.#claimTenant(tenantId);
    await this.#ensureAlarm();
    return this.#queueReconcile(tenantId);
  }

  /**
   * Leases API requests from the tenant's bucket and, for an API key, the
   * key's (rate-window.ts), in fixed windows sized by the plan the object
   * already holds. A refusal takes nothing. Synchronous after the claim, so
   * concurrent isolates cannot both take the last one.
   */
  async leaseRequests(tenantId: string, keyId: string | null, now: number): Promise<RateLease> {
    this.#claimTenant(tenantId);
    const tier = rateTierFor(this.#state().projects_limit);
    const buckets: Bucket[] = [{ name: 'tenant', id: 'tenant', quota: tier.tenant }];
    if (keyId) buckets.push({ name: 'key', id: `key:${keyId}`, quota: tier.key });
    return leaseRequests(this.#sql, buckets, now);
  }

  /** The tenant was deleted: forget its seats, limits and alarm. Nothing calls the object again. */
  async destroy(tenantId: string): Promise<void> {
    this.#claimTenant(tenantId);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    // An empty object again, as if never used, in case anything still holds a stub.
    this.#createStorage();
    this.#initialised = null;
    this.#alarmChecked = null;
  }

  override async alarm(): Promise<void> {
    const { tenant_id: tenantId } = this.#state();
    if (tenantId === null) return;
    try {
      await this.#queueReconcile(tenantId);
    } catch (err) {
      createLogger(undefined, { tenantId }).error('seats.reconcile_failed', { error: errorMessage(err) });
      await this.ctx.storage.setAlarm(Date.now() + RECONCILE_RETRY_MS);
      return;
    }
    // A tenant with no holders left (deleted) stops waking up; its next call re-arms.
    if (this.#countLive(Date.now()) > 0) await this.ctx.storage.setAlarm(Date.now() + RECONCILE_INTERVAL_MS);
  }

  // ------------------------------------------------------------------ internals

  /** Every RPC starts here: right tenant, alarm armed, state initialised from D1 once. */
  async #enter(tenantId: string): Promise<void> {
    this.#claimTenant(tenantId);
    await this.#ensureAlarm();
    if (this.#state().reconciled_at !== null) return;
    this.#initialised ??= this.#queueReconcile(tenantId).then(
      () => undefined,
      (err: unknown) => {
        // Let the next call try again rather than remember the failure.
        this.#initialised = null;
        throw err;
      },
    );
    await this.#initialised;
  }

  /**
   * The object learns its tenant from the first call, after checking that the
   * id really names this object, and refuses any other tenant from then on.
   */
  #claimTenant(tenantId: string): void {
    if (typeof tenantId !== 'string' || tenantId === '') throw new TypeError('TenantDO: tenantId is required');
    const known = this.#state().tenant_id;
    if (known === tenantId) return;
    if (known !== null || !this.ctx.id.equals(this.env.TENANT_DO.idFromName(tenantId))) {
      throw new TypeError('TenantDO: this object belongs to another tenant');
    }
    this.#sql.exec('UPDATE tenant_state SET tenant_id = ? WHERE id = 1', tenantId);
  }

  #ensureAlarm(): Promise<void> {
    this.#alarmChecked ??= (async () => {
      if ((await this.ctx.storage.getAlarm()) === null) {
        await this.ctx.storage.setAlarm(Date.now() + RECONCILE_INTERVAL_MS);
      }
    })().catch((err: unknown) => {
      this.#alarmChecked = null;
      throw err;
    });
    return this.#alarmChecked;
  }

  /** Count, then insert: synchronous, so no other call can take the last seat in between. */
  #take(holder: string, expiresAt: number | null, now: number): boolean {
    const existing = this.#holder(holder);
    if (existing && isLive(existing.expires_at, now)) {
      this.#sql.exec('UPDATE seat_holders SET expires_at = ? WHERE holder = ?', expiresAt, holder);
      return true;
    }
    const limit = this.#state().seats_limit;
    if (limit !== null && this.#countLive(now) >= limit) return false;
    this.#upsertHolder(holder, expiresAt, now);
    return true;
  }

  #delete(holder: string): void {
    this.#sql.exec('DELETE FROM seat_holders WHERE holder = ?', holder);
    this.#releasedDuringReconcile?.add(holder);
  }

  #holder(holder: string): HolderRow | undefined {
    return this.#sql
      .exec<HolderRow>('SELECT holder, expires_at, created_at FROM seat_holders WHERE holder = ?', holder)
      .toArray()[0];
  }

  #countLive(now: number): number {
    return this.#sql
      .exec<{ n: number }>('SELECT COUNT(*) AS n FROM seat_holders WHERE expires_at IS NULL OR expires_at > ?', now)
      .one().n;
  }

  #state(): StateRow {
    return this.#sql
      .exec<StateRow>('SELECT tenant_id, seats_limit, projects_limit, reconciled_at FROM tenant_state WHERE id = 1')
      .one();
  }

  #usage(now: number): SeatUsage {
    const state = this.#state();
    return { used: this.#countLive(now), limit: state.seats_limit, projectsLimit: state.projects_limit };
  }

  #queueReconcile(tenantId: string): Promise<ReconcileResult> {
    const run = this.#reconcileTail.catch(() => undefined).then(() => this.#reconcileFromD1(tenantId));
    this.#reconcileTail = run;
    return run;
  }

  async #reconcileFromD1(tenantId: string): Promise<ReconcileResult> {
    const released = new Set<string>();
    this.#releasedDuringReconcile = released;
    try {
      const readAt = Date.now();
      // Other calls run while this awaits D1; everything after it is synchronous.
      const { members, pending, subscription: sub } = await seatLedger(this.env, tenantId, readAt);
      const desired = new Map<string, number | null>();
      for (const m of members) desired.set(`member:${m.userId}`, null);
      for (const i of pending) desired.set(`invitation:${i.id}`, i.expiresAt);
      const limits = sub ? entitlementFor(sub, readAt).limits : FREE_LIMITS;
      return this.ctx.storage.transactionSync(() => this.#applyReconcile(desired, limits, released));
    } finally {
      this.#releasedDuringReconcile = null;
    }
  }

  #applyReconcile(desired: Map<string, number | null>, limits: Limits, released: Set<string>): ReconcileResult {
    const now = Date.now();
    const local = this.#sql.exec<HolderRow>('SELECT holder, expires_at, created_at FROM seat_holders').toArray();
    const before = local.filter((row) => isLive(row.expires_at, now)).length;
    const added: string[] = [];
    const removed: string[] = [];
    for (const row of local) {
      const live = isLive(row.expires_at, now);
      if (desired.has(row.holder)) {
        const expiresAt = desired.get(row.holder) ?? null;
        if (row.expires_at !== expiresAt) {
          this.#sql.exec('UPDATE seat_holders SET expires_at = ? WHERE holder = ?', expiresAt, row.holder);
          if (!live && isLive(expiresAt, now)) added.push(row.holder);
        }
      } else if (!live) {
        // It stopped counting already; dropping the row changes no count.
        this.#sql.exec('DELETE FROM seat_holders WHERE holder = ?', row.holder);
      } else if (row.created_at <= now - RECONCILE_GRACE_MS) {
        this.#sql.exec('DELETE FROM seat_holders WHERE holder = ?', row.holder);
        removed.push(row.holder);
      }
    }
    const localHolders = new Set(local.map((row) => row.holder));
    for (const [holder, expiresAt] of desired) {
      if (localHolders.has(holder) || released.has(holder) || !isLive(expiresAt, now)) continue;
      this.#sql.exec('INSERT INTO seat_holders (holder, expires_at, created_at) VALUES (?, ?, ?)', holder, expiresAt, now);
      added.push(holder);
    }
    this.#sql.exec(
      'UPDATE tenant_state SET seats_limit = ?, projects_limit = ?, reconciled_at = ? WHERE id = 1',
      limits.seats,
      limits.projects,
      now,
    );
    return { before, after: this.#countLive(now), added: added.sort(), removed: removed.sort() };
  }
}
