import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { PASSWORD, call, signUpOwner } from './helpers';
import { currentCursor, eventsFor, eventually, payCheckout, postWebhook } from './stripe-helpers';

const ops = { authorization: `Bearer ${env.OPS_TOKEN}` };

describe('tenant timeline for operators', () => {
  it('answers "what happened to tenant X" from its audit log and its Stripe events, newest first', async () => {
    const owner = await signUpOwner('Timeline Co');
    const base = `/api/t/${owner.tenant.slug}`;
    await call('POST', `${base}/projects`, { token: owner.token, body: { name: 'Launch' } });
    const cursor = await currentCursor();
    const checkout = await call('POST', `${base}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 4 } });
    await payCheckout(checkout.body.url);
    const customer = await env.DB.prepare('SELECT stripe_customer_id AS id FROM subscriptions WHERE tenant_id = ?').bind(owner.tenant.id).first<{ id: string }>();
    for (const event of (await eventsFor(customer?.id ?? '', cursor)).events) await postWebhook(event);

    const timeline = await eventually(async () => {
      const res = await call('GET', `/ops/tenants/${owner.tenant.slug}/timeline`, { headers: ops });
      expect(res.status).toBe(200);
      expect(res.body.entries.map((e: { what: string }) => e.what)).toContain('subscription.updated');
      return res.body;
    });
    expect(timeline.tenant).toMatchObject({ id: owner.tenant.id, slug: owner.tenant.slug });
    expect(timeline.subscription).toMatchObject({ plan: 'pro', status: 'active' });
    expect(timeline.seats).toMatchObject({ used: 1, limit: 4 });
    const whats = timeline.entries.map((e: { what: string }) => e.what);
    expect(whats).toEqual(expect.arrayContaining(['tenant.created', 'project.created', 'billing.checkout_started', 'customer.subscription.created']));
    const ats = timeline.entries.map((e: { at: number }) => e.at);
    expect(ats).toEqual([...ats].sort((a, b) => b - a));
    const stripeEntry = timeline.entries.find((e: { what: string }) => e.what === 'customer.subscription.created');
    expect(stripeEntry.detail).toMatchObject({ state: 'processed', attempts: 1, lastError: null });
    const projectEntry = timeline.entries.find((e: { what: string }) => e.what === 'project.created');
    expect(projectEntry.detail.actor).toEqual({ type: 'user', id: owner.user.id });
  });

  it("shows its members' security log (issue 11): a failed and a successful sign-in", async () => {
    const owner = await signUpOwner('Watched Co');
    await call('POST', '/api/auth/login', { body: { email: owner.user.email, password: 'not the password' } });
    await call('POST', '/api/auth/login', { body: { email: owner.user.email, password: PASSWORD } });
    const res = await call('GET', `/ops/tenants/${owner.tenant.slug}/timeline`, { headers: ops });
    const security = res.body.entries.filter((e: { source: string }) => e.source === 'security');
    expect(security.map((e: { what: string }) => e.what).slice(0, 2)).toEqual(['signin.succeeded', 'signin.failed']);
    expect(security[0].detail).toMatchObject({ userId: owner.user.id });
    // Another tenant's member never shows up here.
    const other = await signUpOwner('Elsewhere Co');
    const after = await call('GET', `/ops/tenants/${owner.tenant.slug}/timeline`, { headers: ops });
    expect(after.body.entries.filter((e: { detail: { userId?: string } }) => e.detail.userId === other.user.id)).toEqual([]);
  });

  it('still answers for a deleted tenant, by id', async () => {
    const owner = await signUpOwner('Gone Co');
    await call('DELETE', `/api/t/${owner.tenant.slug}`, { token: owner.token });
    const res = await call('GET', `/ops/tenants/${owner.tenant.id}/timeline`, { headers: ops });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tenant: null, deleted: { id: owner.tenant.id, deletedBy: `user:${owner.user.id}` }, entries: [] });
  });

  it('is for operators only', async () => {
    const owner = await signUpOwner();
    expect((await call('GET', `/ops/tenants/${owner.tenant.slug}/timeline`)).status).toBe(401);
    expect((await call('GET', `/ops/tenants/${owner.tenant.slug}/timeline`, { token: owner.token })).status).toBe(401);
    expect((await call('GET', '/ops/tenants/no-such-tenant/timeline', { headers: ops })).status).toBe(404);
  });
});
