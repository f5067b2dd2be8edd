/**
 * The tenant's Durable Object as the seat authority: called through real
 * stubs (RPC into workerd), with D1 rows written directly as the services
 * would have written them. Storage is shared by the whole file, so every test
 * builds its own tenant.
 */
import {
  abortAllDurableObjects,
  evictDurableObject,
  runDurableObjectAlarm,
  runInDurableObject,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { FREE_LIMITS } from '../../src/features/billing/plans';
import { seatsFor } from '../../src/features/seats/client';
import { invitationSeat, memberSeat } from '../../src/features/seats/model';
import { RECONCILE_GRACE_MS, RECONCILE_INTERVAL_MS, RECONCILE_RETRY_MS, type TenantDO } from '../../src/features/seats/tenant-do';
import { database } from '../../src/platform/db/client';
import { invitations, memberships, subscriptions, tenants, users } from '../../src/platform/db/schema';
import type { Env } from '../../src/platform/env';
import { AppError } from '../../src/platform/errors';
import { statusOf } from '../../src/platform/http/errors';
import { newId } from '../../src/platform/ids';

const db = database(env.DB);
const HOUR = 60 * 60 * 1000;

type HolderRow = { holder: string; expires_at: number | null; created_at: number };

function stubFor(tenantId: string): DurableObjectStub<TenantDO> {
  return env.TENANT_DO.get(env.TENANT_DO.idFromName(tenantId));
}

async function addUser(tenantId: string, role: 'owner' | 'admin' | 'member' = 'member'): Promise<string> {
  const userId = newId('usr');
  await db.batch([
    db.insert(users).values({ id: userId, email: `${userId}@example.test`, name: 'U', passwordHash: 'unused' }),
    db.insert(memberships).values({ tenantId, userId, role }),
  ]);
  return userId;
}

/** A tenant as sign-up leaves it: one owner, a free subscription row. */
async function freeTenant() {
  const tenantId = newId('ten');
  await db.insert(tenants).values({ id: tenantId, slug: tenantId, name: 'Acme' });
  await db.insert(subscriptions).values({ tenantId, plan: 'free', status: 'none' });
  const ownerId = await addUser(tenantId, 'owner');
  return { tenantId, ownerId, stub: stubFor(tenantId) };
}

async function addInvitation(tenantId: string, invitedBy: string, opts: { status?: 'pending' | 'revoked' | 'accepted'; expiresAt?: number } = {}) {
  const id = newId('inv');
  await db.insert(invitations).values({
    id,
    tenantId,
    email: `${id}@example.test`,
    role: 'member',
    tokenHash: `hash-${id}`,
    invitedBy,
    status: opts.status ?? 'pending',
    expiresAt: opts.expiresAt ?? Date.now() + 7 * 24 * HOUR,
  });
  return id;
}

function holders(stub: DurableObjectStub<TenantDO>): Promise<HolderRow[]> {
  return runInDurableObject(stub, (_instance, state) =>
    state.storage.sql.exec<HolderRow>('SELECT holder, expires_at, created_at FROM seat_holders ORDER BY holder').toArray(),
  );
}

/** Drift as a crash or a bug would leave it: a row written straight into the object's storage. */
function injectHolder(stub: DurableObjectStub<TenantDO>, holder: string, createdAt: number): Promise<void> {
  return runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec('INSERT INTO seat_holders (holder, expires_at, created_at) VALUES (?, NULL, ?)', holder, createdAt);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What a call refused with. Refusals are asserted on the instance through
 * runInDurableObject: a rejecting RPC through a stub leaks an unhandled
 * rejection in the Vitest integration even when the test handles it
 * (cloudflare/workers-sdk#14736), which would make a green run report errors.
 */
function refusal(stub: DurableObjectStub<TenantDO>, call: (instance: TenantDO) => Promise<unknown>): Promise<{ name: string; message: string } | null> {
  return runInDurableObject(stub, async (instance: TenantDO) => {
    try {
      await call(instance);
      return null;
    } catch (err) {
      return err instanceof Error ? { name: err.name, message: err.message } : { name: typeof err, message: String(err) };
    }
  });
}

describe('TenantDO: seat reservations', () => {
  it('a burst of 50 concurrent reservations on a free tenant (limit 3, one owner) accepts exactly 2', async () => {
    const { tenantId, ownerId, stub } = await freeTenant();
    const ids = Array.from({ length: 50 }, (_, i) => `burst-${i}`);

    const results = await Promise.all(ids.map((id) => stub.reserveSeat(tenantId, invitationSeat(id), { expiresAt: Date.now() + HOUR })));

    const accepted = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    expect(accepted).toHaveLength(2);
    expect(refused).toHaveLength(48);
    for (const r of refused) expect(r.usage).toEqual({ used: 3, limit: 3, projectsLimit: 3 });
    expect(await stub.usage(tenantId)).toEqual({ used: 3, limit: 3, projectsLimit: 3 });
    const rows = await holders(stub);
    expect(rows.map((r) => r.holder)).toHaveLength(3);
    expect(rows.map((r) => r.holder)).toContain(memberSeat(ownerId));
  });

  it('initialises an existing tenant from D1 on its first call: members + live pending invitations, limits from the plan', async () => {
    const { tenantId, ownerId, stub } = await freeTenant();
    await addUser(tenantId);
    await addInvitation(tenantId, ownerId);
    await addInvitation(tenantId, ownerId, { expiresAt: Date.now() - 1000 });
    await addInvitation(tenantId, ownerId, { status: 'revoked' });
    await addInvitation(tenantId, ownerId, { status: 'accepted' });
    await db.update(subscriptions).set({ plan: 'pro', status: 'active', seatQuantity: 5 }).where(eq(subscriptions.tenantId, tenantId));

    expect(await stub.usage(tenantId)).toEqual({ used: 3, limit: 5, projectsLimit: 100 });
  });

  it('a tenant without a subscription row gets the free limits', async () => {
    const tenantId = newId('ten');
    await db.insert(tenants).values({ id: tenantId, slug: tenantId, name: 'No sub' });
    await addUser(tenantId, 'owner');

    expect(await stubFor(tenantId).usage(tenantId)).toEqual({ used: 1, limit: FREE_LIMITS.seats, projectsLimit: FREE_LIMITS.projects });
  });

  it('re-reserving a holder is idempotent: ok, counted once, even when the tenant is full', async () => {
    const { tenantId, stub } = await freeTenant();

    const first = await stub.reserveSeat(tenantId, invitationSeat('a'));
    const again = await stub.reserveSeat(tenantId, invitationSeat('a'));
    expect(first).toEqual({ ok: true, usage: { used: 2, limit: 3, projectsLimit: 3 } });
    expect(again).toEqual({ ok: true, usage: { used: 2, limit: 3, projectsLimit: 3 } });

    expect((await stub.reserveSeat(tenantId, invitationSeat('b'))).ok).toBe(true);
    expect(await stub.reserveSeat(tenantId, invitationSeat('b'))).toEqual({ ok: true, usage: { used: 3, limit: 3, projectsLimit: 3 } });
    expect(await stub.reserveSeat(tenantId, invitationSeat('c'))).toEqual({ ok: false, usage: { used: 3, limit: 3, projectsLimit: 3 } });
  });

  it('releasing frees exactly one seat, and releasing an absent holder changes nothing', async () => {
    const { tenantId, stub } = await freeTenant();
    await stub.reserveSeat(tenantId, invitationSeat('a'));
    await stub.reserveSeat(tenantId, invitationSeat('b'));

    expect(await stub.releaseSeat(tenantId, invitationSeat('a'))).toEqual({ used: 2, limit: 3, projectsLimit: 3 });
    expect(await stub.releaseSeat(tenantId, invitationSeat('a'))).toEqual({ used: 2, limit: 3, projectsLimit: 3 });
    expect(await stub.releaseSeat(tenantId, invitationSeat('never'))).toEqual({ used: 2, limit: 3, projectsLimit: 3 });

    const results = await Promise.all(['c', 'd', 'e'].map((id) => stub.reserveSeat(tenantId, invitationSeat(id))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await stub.usage(tenantId)).toEqual({ used: 3, limit: 3, projectsLimit: 3 });
  });

  it('transferring an invitation to a member keeps the count, even when the tenant is full', async () => {
    const { tenantId, stub } = await freeTenant();
    await stub.reserveSeat(tenantId, invitationSeat('a'), { expiresAt: Date.now() + HOUR });
    await stub.reserveSeat(tenantId, invitationSeat('b'), { expiresAt: Date.now() + HOUR });

    const result = await stub.transferSeat(tenantId, invitationSeat('a'), memberSeat('usr_new'));

    expect(result).toEqual({ ok: true, usage: { used: 3, limit: 3, projectsLimit: 3 } });
    const rows = await holders(stub);
    expect(rows.map((r) => r.holder)).not.toContain(invitationSeat('a'));
    expect(rows.find((r) => r.holder === memberSeat('usr_new'))?.expires_at).toBeNull();
  });

  it('transferring from a holder that holds no seat needs a free seat, like a reservation', async () => {
    const { tenantId, stub } = await freeTenant();
    await stub.reserveSeat(tenantId, invitationSeat('a'));
    await stub.reserveSeat(tenantId, invitationSeat('b'));

    expect(await stub.transferSeat(tenantId, invitationSeat('gone'), memberSeat('usr_x'))).toEqual({
      ok: false,
      usage: { used: 3, limit: 3, projectsLimit: 3 },
    });

    await stub.releaseSeat(tenantId, invitationSeat('b'));
    expect(await stub.transferSeat(tenantId, invitationSeat('gone'), memberSeat('usr_x'))).toEqual({
      ok: true,
      usage: { used: 3, limit: 3, projectsLimit: 3 },
    });
  });

  it('transferring to a holder that already has a seat moves nothing: two seats are never merged into one', async () => {
    const { tenantId, ownerId, stub } = await freeTenant();
    await stub.reserveSeat(tenantId, invitationSeat('a'), { expiresAt: Date.now() + HOUR });

    // An existing member accepts an invitation; then the D1 write fails and the service hands the seat back.
    expect(await stub.transferSeat(tenantId, invitationSeat('a'), memberSeat(ownerId))).toEqual({ ok: true, usage: { used: 2, limit: 3, projectsLimit: 3 } });
    expect(await stub.transferSeat(tenantId, memberSeat(ownerId), invitationSeat('a'))).toEqual({ ok: true, usage: { used: 2, limit: 3, projectsLimit: 3 } });
    expect((await holders(stub)).map((r) => r.holder)).toEqual([invitationSeat('a'), memberSeat(ownerId)]);
  });

  it('a seat handed back from a member to its invitation takes the expiry it is given', async () => {
    const { tenantId, stub } = await freeTenant();
    const expiresAt = Date.now() + HOUR;
    await stub.reserveSeat(tenantId, invitationSeat('a'), { expiresAt });
    await stub.transferSeat(tenantId, invitationSeat('a'), memberSeat('usr_new'));

    expect((await stub.transferSeat(tenantId, memberSeat('usr_new'), invitationSeat('a'), { expiresAt })).usage.used).toBe(2);
    expect((await holders(stub)).find((r) => r.holder === invitationSeat('a'))?.expires_at).toBe(expiresAt);
  });

  it('an expired invitation stops counting and its seat can be taken again', async () => {
    const { tenantId, stub } = await freeTenant();
    await stub.reserveSeat(tenantId, invitationSeat('long'), { expiresAt: Date.now() + HOUR });
    await stub.reserveSeat(tenantId, invitationSeat('short'), { expiresAt: Date.now() + 300 });
    expect((await stub.usage(tenantId)).used).toBe(3);
    expect((await stub.reserveSeat(tenantId, invitationSeat('x'))).ok).toBe(false);

    await sleep(400);

    expect((await stub.usage(tenantId)).used).toBe(2);
    expect((await stub.reserveSeat(tenantId, invitationSeat('x'))).ok).toBe(true);
    // Transferring from the expired invitation is a fresh reservation, and the tenant is full again.
    expect((await stub.transferSeat(tenantId, invitationSeat('short'), memberSeat('late'))).ok).toBe(false);
  });

  it('a lowered limit removes nobody: usage shows the overage and new seats are refused', async () => {
    const { tenantId, stub } = await freeTenant();
    await stub.reserveSeat(tenantId, invitationSeat('a'));
    await stub.reserveSeat(tenantId, invitationSeat('b'));

    expect(await stub.setLimits(tenantId, { seats: 1, projects: 1 })).toEqual({ used: 3, limit: 1, projectsLimit: 1 });
    expect(await stub.reserveSeat(tenantId, invitationSeat('c'))).toEqual({ ok: false, usage: { used: 3, limit: 1, projectsLimit: 1 } });
    expect((await holders(stub)).map((r) => r.holder)).toHaveLength(3);

    expect(await stub.setLimits(tenantId, { seats: null, projects: null })).toEqual({ used: 3, limit: null, projectsLimit: null });
    expect((await stub.reserveSeat(tenantId, invitationSeat('c'))).ok).toBe(true);
  });

  it('rejects malformed calls', async () => {
    const { tenantId, stub } = await freeTenant();
    expect(await refusal(stub, (o) => o.reserveSeat(tenantId, 'alice'))).toMatchObject({ name: 'TypeError' });
    expect(await refusal(stub, (o) => o.reserveSeat(tenantId, invitationSeat('a'), { expiresAt: Date.now() - 1 }))).toMatchObject({ name: 'RangeError' });
    expect(await refusal(stub, (o) => o.setLimits(tenantId, { seats: -1, projects: 3 }))).toMatchObject({ name: 'RangeError' });
    expect(await refusal(stub, (o) => o.transferSeat(tenantId, memberSeat('u'), memberSeat('u')))).toMatchObject({ name: 'TypeError' });
    expect((await stub.usage(tenantId)).used).toBe(1);
  });
});

describe('TenantDO: tenant binding', () => {
  it('refuses a tenant id other than the one it learnt', async () => {
    const a = await freeTenant();
    const b = await freeTenant();
    await a.stub.usage(a.tenantId);

    expect(await refusal(a.stub, (o) => o.reserveSeat(b.tenantId, invitationSeat('x')))).toEqual({
      name: 'TypeError',
      message: 'TenantDO: this object belongs to another tenant',
    });
    expect(await refusal(a.stub, (o) => o.reconcile(b.tenantId))).toMatchObject({ name: 'TypeError' });
    expect(await a.stub.usage(a.tenantId)).toEqual({ used: 1, limit: 3, projectsLimit: 3 });
  });

  it('cannot be taught the wrong tenant by its first call: the id must name this object', async () => {
    const a = await freeTenant();
    const b = await freeTenant();

    expect(await refusal(a.stub, (o) => o.usage(b.tenantId))).toEqual({
      name: 'TypeError',
      message: 'TenantDO: this object belongs to another tenant',
    });
    expect(await a.stub.usage(a.tenantId)).toEqual({ used: 1, limit: 3, projectsLimit: 3 });
  });
});

describe('TenantDO: durability', () => {
  it('counts and limits survive every object being aborted', async () => {
    const { tenantId, ownerId, stub } = await freeTenant();
    await stub.reserveSeat(tenantId, invitationSeat('a'), { expiresAt: Date.now() + HOUR });
    await stub.setLimits(tenantId, { seats: 10, projects: 7 });
    await stub.reserveSeat(tenantId, invitationSeat('b'));
    const before = await holders(stub);

    await abortAllDurableObjects();

    const fresh = stubFor(tenantId);
    expect(await holders(fresh)).toEqual(before);
    expect(before.map((r) => r.holder)).toEqual([invitationSeat('a'), invitationSeat('b'), memberSeat(ownerId)]);
    expect(await fresh.usage(tenantId)).toEqual({ used: 3, limit: 10, projectsLimit: 7 });
    expect((await fresh.reserveSeat(tenantId, invitationSeat('a'))).usage.used).toBe(3);
  });

  it('counts and limits survive an eviction of the object', async () => {
    const { tenantId, stub } = await freeTenant();
    await stub.setLimits(tenantId, { seats: 2, projects: 5 });
    await stub.reserveSeat(tenantId, invitationSeat('a'));

    await evictDurableObject(stub);

    const fresh = stubFor(tenantId);
    expect(await fresh.usage(tenantId)).toEqual({ used: 2, limit: 2, projectsLimit: 5 });
    expect((await fresh.reserveSeat(tenantId, invitationSeat('b'))).ok).toBe(false);
  });
});

describe('TenantDO: reconciliation with D1', () => {
  it('repairs drift both ways: drops an old holder D1 lacks, adds a D1 member the object lacks', async () => {
    const { tenantId, ownerId, stub } = await freeTenant();
    await stub.usage(tenantId);
    await injectHolder(stub, invitationSeat('leaked'), Date.now() - RECONCILE_GRACE_MS - 1000);
    const joined = await addUser(tenantId);
    expect((await stub.usage(tenantId)).used).toBe(2);

    const result = await stub.reconcile(tenantId);

    expect(result).toEqual({ before: 2, after: 2, added: [memberSeat(joined)], removed: [invitationSeat('leaked')] });
    expect((await holders(stub)).map((r) => r.holder).sort()).toEqual([memberSeat(joined), memberSeat(ownerId)].sort());
  });

  it('keeps a holder younger than the grace window that D1 does not have yet (its write is in flight)', async () => {
    const { tenantId, stub } = await freeTenant();
    await stub.reserveSeat(tenantId, invitationSeat('inflight'), { expiresAt: Date.now() + HOUR });

    const result = await stub.reconcile(tenantId);

    expect(result).toEqual({ before: 2, after: 2, added: [], removed: [] });
    expect((await holders(stub)).map((r) => r.holder)).toContain(invitationSeat('inflight'));
  });

  it('takes limits from the subscription through the plan policy', async () => {
    const { tenantId, stub } = await freeTenant();
    await stub.usage(tenantId);
    await db.update(subscriptions).set({ plan: 'pro', status: 'active', seatQuantity: 12 }).where(eq(subscriptions.tenantId, tenantId));
    await stub.reconcile(tenantId);
    expect(await stub.usage(tenantId)).toEqual({ used: 1, limit: 12, projectsLimit: 100 });

    // past_due beyond the grace period falls back to free.
    await db
      .update(subscriptions)
      .set({ status: 'past_due', pastDueSince: Date.now() - 30 * 24 * HOUR })
      .where(eq(subscriptions.tenantId, tenantId));
    await stub.reconcile(tenantId);
    expect(await stub.usage(tenantId)).toEqual({ used: 1, limit: 3, projectsLimit: 3 });
  });

  it('does not bring back a holder released while it was reading D1', async () => {
    const { tenantId, stub } = await freeTenant();
    const leaving = await addUser(tenantId);
    expect((await stub.usage(tenantId)).used).toBe(2);

    // Hold the reconciliation between its D1 read and its write-back.
    const gate = { read: false, open: false };
    await runInDurableObject(stub, (instance) => {
      const target = instance as unknown as { env: Env };
      const realDb = target.env.DB;
      const slowDb = new Proxy(realDb, {
        get(d1, prop) {
          if (prop === 'batch') {
            return async (statements: D1PreparedStatement[]) => {
              const rows = await d1.batch(statements);
              gate.read = true;
              while (!gate.open) await sleep(5);
              return rows;
            };
          }
          const value: unknown = Reflect.get(d1, prop);
          return typeof value === 'function' ? value.bind(d1) : value;
        },
      });
      target.env = { ...target.env, DB: slowDb };
    });

    const reconciling = stub.reconcile(tenantId);
    while (!gate.read) await sleep(5);
    // The member leaves as the services do it: D1 first, then the object.
    await db.delete(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.userId, leaving)));
    expect(await stub.releaseSeat(tenantId, memberSeat(leaving))).toMatchObject({ used: 1 });
    gate.open = true;

    expect(await reconciling).toEqual({ before: 1, after: 1, added: [], removed: [] });
    expect((await holders(stub)).map((r) => r.holder)).not.toContain(memberSeat(leaving));
  });

  it('the alarm is armed by the first call, reconciles, and re-arms itself', async () => {
    const { tenantId, ownerId, stub } = await freeTenant();
    const calledAt = Date.now();
    await stub.usage(tenantId);
    const armed = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(armed).toBeGreaterThanOrEqual(calledAt + RECONCILE_INTERVAL_MS);

    await injectHolder(stub, invitationSeat('leaked'), Date.now() - RECONCILE_GRACE_MS - 1000);
    const joined = await addUser(tenantId);

    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect((await holders(stub)).map((r) => r.holder).sort()).toEqual([memberSeat(joined), memberSeat(ownerId)].sort());
    const rearmed = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(rearmed).not.toBeNull();
    expect(rearmed).toBeGreaterThan(Date.now());
  });
});

describe('TenantDO: when D1 cannot be reached', () => {
  /** Makes the object's D1 batches fail until `restore` is called. */
  async function breakD1(stub: DurableObjectStub<TenantDO>): Promise<{ restore: () => Promise<void> }> {
    await runInDurableObject(stub, (instance) => {
      const target = instance as unknown as { env: Env };
      const realDb = target.env.DB;
      const brokenDb = new Proxy(realDb, {
        get(d1, prop) {
          if (prop === 'batch') return () => Promise.reject(new Error('D1_ERROR: injected outage'));
          const value: unknown = Reflect.get(d1, prop);
          return typeof value === 'function' ? value.bind(d1) : value;
        },
      });
      target.env = { ...target.env, DB: brokenDb };
    });
    return {
      restore: () =>
        runInDurableObject(stub, (instance) => {
          const target = instance as unknown as { env: Env };
          target.env = { ...target.env, DB: env.DB };
        }),
    };
  }

  it('a first call that cannot initialise from D1 fails and changes nothing; the next call initialises', async () => {
    const { tenantId, stub } = await freeTenant();
    const outage = await breakD1(stub);

    expect(await refusal(stub, (o) => o.reserveSeat(tenantId, invitationSeat('a')))).toEqual({ name: 'Error', message: 'D1_ERROR: injected outage' });
    expect(await holders(stub)).toEqual([]);

    await outage.restore();
    expect(await stub.reserveSeat(tenantId, invitationSeat('a'))).toEqual({ ok: true, usage: { used: 2, limit: 3, projectsLimit: 3 } });
  });

  it('an initialised object keeps answering from its own storage, and a failed alarm retries sooner', async () => {
    const { tenantId, stub } = await freeTenant();
    await stub.usage(tenantId);
    await breakD1(stub);

    expect(await stub.reserveSeat(tenantId, invitationSeat('a'))).toEqual({ ok: true, usage: { used: 2, limit: 3, projectsLimit: 3 } });
    const before = Date.now();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const retryAt = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(retryAt).toBeGreaterThanOrEqual(before + RECONCILE_RETRY_MS);
    expect(retryAt).toBeLessThan(before + RECONCILE_INTERVAL_MS);
    expect((await stub.usage(tenantId)).used).toBe(2);
  });
});

describe('seatsFor: the typed client', () => {
  it('binds the methods to one tenant', async () => {
    const { tenantId, ownerId } = await freeTenant();
    const seats = seatsFor(env, tenantId);

    expect(await seats.reserveSeat(invitationSeat('a'), { expiresAt: Date.now() + HOUR })).toEqual({
      ok: true,
      usage: { used: 2, limit: 3, projectsLimit: 3 },
    });
    expect(await seats.transferSeat(invitationSeat('a'), memberSeat('usr_b'))).toMatchObject({ ok: true });
    expect(await seats.releaseSeat(memberSeat('usr_b'))).toEqual({ used: 1, limit: 3, projectsLimit: 3 });
    expect(await seats.setLimits({ seats: 4, projects: 4 })).toEqual({ used: 1, limit: 4, projectsLimit: 4 });
    expect(await seats.reconcile()).toEqual({ before: 1, after: 1, added: [], removed: [] });
    expect(await seats.usage()).toEqual({ used: 1, limit: 3, projectsLimit: 3 });
    expect((await holders(stubFor(tenantId))).map((r) => r.holder)).toEqual([memberSeat(ownerId)]);
  });

  it('turns an unreachable object into a 503 AppError, and lets a bad call through as the bug it is', async () => {
    const unreachable = {
      idFromName: (name: string) => env.TENANT_DO.idFromName(name),
      get: () => ({
        reserveSeat: () => Promise.reject(new Error('Network connection lost.')),
        usage: () => Promise.reject(new TypeError('TenantDO: this object belongs to another tenant')),
      }),
    } as unknown as Env['TENANT_DO'];

    const failure = await seatsFor({ TENANT_DO: unreachable }, 'ten_x').reserveSeat(invitationSeat('a')).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'unavailable' });
    expect(statusOf(failure as AppError)).toBe(503);

    await expect(seatsFor({ TENANT_DO: unreachable }, 'ten_x').usage()).rejects.toThrow(TypeError);
  });
});
