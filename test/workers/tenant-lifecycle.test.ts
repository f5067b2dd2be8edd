import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { seatsFor } from '../../src/features/seats/client';
import { tenantTables } from './db-snapshot';
import { makeTeam } from './fixtures';
import { call, signUpOwner } from './helpers';
import { payCheckout, testStripe } from './stripe-helpers';

describe('tenant export', () => {
  it('gives the owner everything the tenant owns, without secrets, and audits it', async () => {
    const team = await makeTeam();
    const res = await call('GET', `${team.base}/export`, { token: team.owner.token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`${team.owner.tenant.slug}-export.json`);
    const data = res.body;
    expect(data.tenant).toMatchObject({ id: team.owner.tenant.id, slug: team.owner.tenant.slug });
    expect(data.members).toHaveLength(4);
    expect(data.projects.map((p: { id: string }) => p.id)).toEqual([team.projectId]);
    expect(data.invitations.map((i: { id: string }) => i.id)).toContain(team.invitationId);
    expect(data.apiKeys.map((k: { id: string }) => k.id)).toEqual([team.apiKeyId]);
    expect(data.subscription).toMatchObject({ plan: 'pro' });
    expect(data.auditLog.length).toBeGreaterThan(5);
    const text = JSON.stringify(data);
    expect(text).not.toMatch(/tokenHash|secretHash|token_hash|secret_hash/);
    expect(text).not.toContain('/invitations/');

    const log = await call('GET', `${team.base}/audit-log?action=tenant.exported`, { token: team.owner.token });
    expect(log.body.entries).toHaveLength(1);
  });

  it('is for owners only', async () => {
    const team = await makeTeam();
    expect((await call('GET', `${team.base}/export`, { token: team.admin.token })).status).toBe(403);
  });
});

describe('tenant deletion', () => {
  it('leaves no tenant rows behind, records who deleted it, and locks everyone out', async () => {
    const team = await makeTeam();
    const id = team.owner.tenant.id;
    expect((await call('DELETE', team.base, { token: team.admin.token })).status).toBe(403);

    const res = await call('DELETE', team.base, { token: team.owner.token });
    expect(res.status).toBe(204);
    for (const table of await tenantTables()) {
      const row = await env.DB.prepare(`SELECT count(*) AS n FROM "${table}" WHERE tenant_id = ?`).bind(id).first<{ n: number }>();
      expect(row?.n, table).toBe(0);
    }
    const record = await env.DB.prepare('SELECT * FROM deleted_tenants WHERE id = ?').bind(id).first();
    expect(record).toMatchObject({ slug: team.owner.tenant.slug, deleted_by: `user:${team.owner.user.id}`, request_id: res.headers.get('x-request-id') });
    expect((await call('GET', team.base, { token: team.member.token })).status).toBe(404);
    expect((await call('GET', `${team.base}/projects`, { token: 'ssk_' + 'x'.repeat(32) })).status).toBe(401);
    expect((await seatsFor(env, id).usage()).used).toBe(0);
  });

  it('stops all billing first, as Stripe sees it: a payment whose webhook has not landed, and open checkouts', async () => {
    const owner = await signUpOwner('Leaving Co');
    const base = `/api/t/${owner.tenant.slug}`;
    const paid = await call('POST', `${base}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 4 } });
    await payCheckout(paid.body.url);
    const customer = await env.DB.prepare('SELECT stripe_customer_id AS id FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first<{ id: string }>();
    const [subscription] = (await testStripe.subscriptions.list({ customer: customer?.id })).data;
    if (!subscription) throw new Error('no subscription in the emulator');
    // The webhook has not landed: D1 still says free, with no subscription.
    expect((await call('GET', `${base}/billing`, { token: owner.token })).body.plan).toBe('free');

    expect((await call('DELETE', base, { token: owner.token })).status).toBe(204);
    expect((await testStripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled');
    const record = await env.DB.prepare('SELECT stripe_subscription_id AS sub FROM deleted_tenants WHERE id = ?').bind(owner.tenant.id).first<{ sub: string }>();
    expect(record?.sub).toBe(subscription.id);
  });

  it('expires an open checkout, so it cannot be paid after the tenant is gone', async () => {
    const owner = await signUpOwner('Browsing Co');
    const base = `/api/t/${owner.tenant.slug}`;
    const checkout = await call('POST', `${base}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 4 } });
    const sessionId = new URL(checkout.body.url).pathname.split('/').at(-1) ?? '';
    expect((await testStripe.checkout.sessions.retrieve(sessionId)).status).toBe('open');
    expect((await call('DELETE', base, { token: owner.token })).status).toBe(204);
    expect((await testStripe.checkout.sessions.retrieve(sessionId)).status).toBe('expired');
  });
});
