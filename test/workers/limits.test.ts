import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { FREE_LIMITS } from '../../src/features/billing/plans';
import { seatsFor } from '../../src/features/seats/client';
import { createApp } from '../../src/app';
import { countRows, snapshotTenant } from './db-snapshot';
import { grantProPlan } from './fixtures';
import { call, signUpOwner, uniqueEmail } from './helpers';

function statuses(results: { status: number }[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe('seat limit (free plan: 3 seats)', () => {
  it('20 concurrent invitations give exactly 2 acceptances and 18 × 402; one revocation makes room for exactly one more', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('burst'), role: 'member' } })),
    );
    expect(statuses(burst)).toEqual({ 201: 2, 402: 18 });
    const refusal = burst.find((r) => r.status === 402);
    expect(refusal?.body.error).toMatchObject({ code: 'plan_limit', message: expect.stringMatching(/3 seats.*billing page/) });

    const billing = await call('GET', `${base}/billing`, { token: owner.token });
    expect(billing.body).toMatchObject({ plan: 'free', seats: { used: 3, limit: 3 }, limits: { projects: 3 }, usage: { projects: 0 } });

    const revoked = burst.find((r) => r.status === 201)?.body.invitation.id;
    expect((await call('DELETE', `${base}/invitations/${revoked}`, { token: owner.token })).status).toBe(204);
    const again = await Promise.all(
      Array.from({ length: 5 }, () => call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('again'), role: 'member' } })),
    );
    expect(statuses(again)).toEqual({ 201: 1, 402: 4 });
    const { results } = await env.DB.prepare(`SELECT count(*) AS n FROM invitations WHERE tenant_id = ? AND status = 'pending'`)
      .bind(owner.tenant.id)
      .all<{ n: number }>();
    expect(results[0]?.n).toBe(2);
  });

  it('a failed D1 write after the reservation gives the seat back', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const email = uniqueEmail('dup');
    expect((await call('POST', `${base}/invitations`, { token: owner.token, body: { email, role: 'member' } })).status).toBe(201);
    // The duplicate reserves the last seat, then D1 refuses the row (one pending invitation per email).
    const duplicate = await call('POST', `${base}/invitations`, { token: owner.token, body: { email, role: 'member' } });
    expect(duplicate.status).toBe(409);
    expect((await seatsFor(env, owner.tenant.id).usage()).used).toBe(2);
    expect((await call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('fits'), role: 'member' } })).status).toBe(201);
  });

  it('answers 402 before 409 when the tenant is full and the email is already invited', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const email = uniqueEmail('full');
    await call('POST', `${base}/invitations`, { token: owner.token, body: { email, role: 'member' } });
    await call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('other'), role: 'member' } });
    const res = await call('POST', `${base}/invitations`, { token: owner.token, body: { email, role: 'member' } });
    expect(res.status).toBe(402);
  });
});

describe('project limit (free plan: 3 projects)', () => {
  it('10 concurrent creations give exactly 3', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const before = await countRows('audit_log');
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => call('POST', `${base}/projects`, { token: owner.token, body: { name: `p${i}` } })));
    expect(statuses(burst)).toEqual({ 201: 3, 402: 7 });
    expect((await call('GET', `${base}/projects`, { token: owner.token })).body.projects).toHaveLength(3);
    // Only the three real creations were audited.
    expect((await countRows('audit_log')) - before).toBe(3);
  });
});

describe('downgrade', () => {
  it('deletes nothing: over-limit projects stay readable, new ones and edits are refused, and billing shows the overage', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    await grantProPlan(owner.tenant.id, 10);
    const created = [];
    for (let i = 0; i < 5; i++) created.push((await call('POST', `${base}/projects`, { token: owner.token, body: { name: `p${i}` } })).body.project.id);
    for (let i = 0; i < 4; i++) await call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('pro'), role: 'member' } });

    // The subscription lapses, as the webhook consumer would record it.
    await env.DB.prepare(`UPDATE subscriptions SET status = 'canceled' WHERE tenant_id = ?`).bind(owner.tenant.id).run();
    await seatsFor(env, owner.tenant.id).setLimits(FREE_LIMITS);

    const billing = await call('GET', `${base}/billing`, { token: owner.token });
    expect(billing.body).toMatchObject({
      plan: 'free',
      subscribedPlan: 'pro',
      status: 'canceled',
      seats: { used: 5, limit: 3 },
      usage: { projects: 5 },
      overLimit: { seats: true, projects: true },
    });
    expect((await call('GET', `${base}/projects`, { token: owner.token })).body.projects).toHaveLength(5);
    expect((await call('GET', `${base}/projects/${created[0]}`, { token: owner.token })).status).toBe(200);
    expect((await call('POST', `${base}/projects`, { token: owner.token, body: { name: 'new' } })).status).toBe(402);
    const edit = await call('PATCH', `${base}/projects/${created[0]}`, { token: owner.token, body: { name: 'edited' } });
    expect(edit.status).toBe(402);
    expect(edit.body.error.message).toMatch(/read-only/);
    expect((await call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('late'), role: 'member' } })).status).toBe(402);
    // Deleting is how a tenant gets back under the limit.
    expect((await call('DELETE', `${base}/projects/${created[0]}`, { token: owner.token })).status).toBe(204);
  });
});

describe('failures between the object and D1 (injected)', () => {
  /** The app with one binding replaced: the fault under test. */
  async function withFault(bindings: Partial<typeof env>, path: string, token: string, body: unknown) {
    const app = createApp({ logSink: () => {} });
    const res = await app.request(
      path,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) },
      { ...env, ...bindings },
      createExecutionContext(),
    );
    return { status: res.status, body: (await res.json()) as { error: { code: string } } };
  }

  it('the object unreachable: the invitation is refused with 503 and nothing is written', async () => {
    const owner = await signUpOwner();
    const unreachable = {
      idFromName: (name: string) => env.TENANT_DO.idFromName(name),
      get: () => new Proxy({}, { get: () => () => Promise.reject(new Error('Durable Object reset')) }),
    } as unknown as typeof env.TENANT_DO;
    const before = await snapshotTenant(owner.tenant.id);
    const res = await withFault({ TENANT_DO: unreachable }, `/api/t/${owner.tenant.slug}/invitations`, owner.token, { email: uniqueEmail('x'), role: 'member' });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    expect(await snapshotTenant(owner.tenant.id)).toBe(before);
  });

  it('D1 failing after the seat was reserved: the request fails, nothing is written, and the seat is given back', async () => {
    const owner = await signUpOwner();
    const usedBefore = (await seatsFor(env, owner.tenant.id).usage()).used;
    // D1 answers reads but refuses the invitation's batch, as during a D1 incident
    // (in the request's D1 session too: platform/db/d1-session.ts).
    const failingBatches = <T extends object>(db: T): T =>
      new Proxy(db, {
        get(target, prop) {
          if (prop === 'batch') return () => Promise.reject(new Error('D1_ERROR: injected failure'));
          if (prop === 'withSession') return (constraint?: string) => failingBatches(env.DB.withSession(constraint));
          const value = Reflect.get(target, prop);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const before = await snapshotTenant(owner.tenant.id);
    const res = await withFault({ DB: failingBatches(env.DB) }, `/api/t/${owner.tenant.slug}/invitations`, owner.token, { email: uniqueEmail('y'), role: 'member' });
    expect(res.status).toBe(500);
    expect(await snapshotTenant(owner.tenant.id)).toBe(before);
    expect((await seatsFor(env, owner.tenant.id).usage()).used).toBe(usedBefore);
  });
});
