/**
 * Operators: identity (the dev token locally, a Cloudflare Access assertion
 * deployed), the console's pages, /ops/health and search, and the
 * support-action rows every view and replay leaves in the tenant's audit log.
 */
import { env } from 'cloudflare:workers';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyAccessAssertion } from '../../src/features/ops/operator';
import { Browser } from './browser';
import { call, signUpOwner } from './helpers';

const ops = { authorization: `Bearer ${env.OPS_TOKEN}` };

async function supportRows(tenantId: string) {
  const { results } = await env.DB.prepare("SELECT action, actor_type, actor_id, metadata FROM audit_log WHERE tenant_id = ? AND action LIKE 'support.%' ORDER BY id")
    .bind(tenantId)
    .all<{ action: string; actor_type: string; actor_id: string; metadata: string }>();
  return results;
}

describe('operator identity', () => {
  const team = 'https://example-team.cloudflareaccess.com';
  const audience = 'aud-for-ops';

  async function accessSetup() {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
    const sign = (claims: { aud?: string; iss?: string; email?: string }) =>
      new SignJWT({ email: claims.email ?? 'ana@ops.example' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(claims.iss ?? team)
        .setAudience(claims.aud ?? audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    return { keys: createLocalJWKSet({ keys: [jwk] }), sign };
  }

  it('knows the operator from a valid Access assertion: team signature, issuer and audience', async () => {
    const { keys, sign } = await accessSetup();
    expect(await verifyAccessAssertion(await sign({}), keys, team, audience)).toEqual({ id: 'ana@ops.example', via: 'access' });
  });

  it('refuses an assertion for another application, another team, or signed by someone else', async () => {
    const { keys, sign } = await accessSetup();
    const stranger = await accessSetup();
    for (const assertion of [await sign({ aud: 'other-app' }), await sign({ iss: 'https://evil.cloudflareaccess.com' }), await stranger.sign({}), 'not-a-jwt']) {
      await expect(verifyAccessAssertion(assertion, keys, team, audience)).rejects.toMatchObject({ code: 'unauthenticated' });
    }
  });

  it('refuses /ops without the dev token or with a wrong one (401)', async () => {
    expect((await call('GET', '/ops/health')).status).toBe(401);
    expect((await call('GET', '/ops/tenants?q=x', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });
});

describe('/ops JSON', () => {
  it('finds a tenant by slug, id, member email and Stripe customer id', async () => {
    const owner = await signUpOwner('Findable Inc');
    await env.DB.prepare("UPDATE subscriptions SET stripe_customer_id = 'cus_findable' WHERE tenant_id = ?").bind(owner.tenant.id).run();
    await env.DB.prepare("INSERT OR IGNORE INTO subscriptions (tenant_id, stripe_customer_id) VALUES (?, 'cus_findable')").bind(owner.tenant.id).run();
    for (const q of [owner.tenant.slug, owner.tenant.id, owner.user.email, 'cus_findable']) {
      const res = await call('GET', `/ops/tenants?q=${encodeURIComponent(q)}`, { headers: ops });
      expect(res.status).toBe(200);
      expect(res.body.tenants).toContainEqual({ id: owner.tenant.id, slug: owner.tenant.slug, name: 'Findable Inc', plan: 'free' });
    }
    expect((await call('GET', '/ops/tenants?q=', { headers: ops })).status).toBe(400);
  });

  it('answers /ops/health in the contract\'s shape', async () => {
    const res = await call('GET', '/ops/health', { headers: ops });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      deadEvents: expect.any(Number),
      oldestUnprocessedEventAgeSeconds: expect.any(Number),
      outbox: { pending: expect.any(Number), failed: expect.any(Number) },
      reconciliationLagSeconds: expect.any(Number),
      errorRate5m: expect.any(Number),
      p95Ms5m: expect.any(Number),
    });
  });

  it('counts failed emails, and a retry gives one fresh attempts, recorded in its tenant\'s audit log', async () => {
    const owner = await signUpOwner();
    await env.DB.prepare("INSERT INTO outbox_emails (id, tenant_id, \"to\", subject, text, attempts, last_error) VALUES ('eml_failed1', ?, 'x@example.test', 'Hi', 'body', 8, 'mailbox full')")
      .bind(owner.tenant.id)
      .run();
    const before = (await call('GET', '/ops/health', { headers: ops })).body;
    expect(before.outbox.failed).toBeGreaterThanOrEqual(1);
    const browser = new Browser();
    await browser.fetch('/ops/console/sign-in', { form: { _csrf: await browser.token('/ops/console/sign-in'), token: env.OPS_TOKEN } });
    const retried = await browser.fetch('/ops/console/emails/eml_failed1/retry', { form: { _csrf: await browser.token('/ops/console') } });
    expect(retried.status).toBe(303);
    const row = await env.DB.prepare("SELECT attempts FROM outbox_emails WHERE id = 'eml_failed1'").first<{ attempts: number }>();
    expect(row?.attempts).toBeLessThan(8);
    expect((await supportRows(owner.tenant.id)).map((r) => r.action)).toContain('support.retried_email');
  });
});

describe('operator console pages', () => {
  it('sends a visitor without the token to the console\'s sign-in, and signs in with it', async () => {
    const browser = new Browser();
    const first = await browser.fetch('/ops/console');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/ops/console/sign-in');
    const wrong = await browser.fetch('/ops/console/sign-in', { form: { _csrf: await browser.token('/ops/console/sign-in'), token: 'guess' } });
    expect(wrong.status).toBe(401);
    const noToken = await browser.fetch('/ops/console/sign-in', { form: { token: env.OPS_TOKEN } });
    expect(noToken.status).toBe(403);
    const signedIn = await browser.fetch('/ops/console/sign-in', { form: { _csrf: await browser.token('/ops/console/sign-in'), token: env.OPS_TOKEN } });
    expect(signedIn.status).toBe(303);
    const page = await browser.fetch('/ops/console');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('Operator console');
  });

  it('shows a tenant\'s timeline and usage, and records the view in its audit log naming the operator', async () => {
    const owner = await signUpOwner('Looked At');
    await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token, body: { name: 'Alpha' } });
    const browser = new Browser();
    await browser.fetch('/ops/console/sign-in', { form: { _csrf: await browser.token('/ops/console/sign-in'), token: env.OPS_TOKEN } });
    const found = await (await browser.fetch(`/ops/console?q=${owner.tenant.slug}`)).text();
    expect(found).toContain(`/ops/console/tenants/${owner.tenant.id}`);
    const page = await browser.fetch(`/ops/console/tenants/${owner.tenant.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('project.created');
    expect(html).toContain('Usage, last 30 days');
    const [row] = await supportRows(owner.tenant.id);
    expect(row).toMatchObject({ action: 'support.viewed', actor_type: 'operator', actor_id: 'dev-token' });
    expect(JSON.parse(row!.metadata)).toMatchObject({ operator: 'dev-token', view: 'timeline' });
    // The tenant's own admins see who looked.
    const audit = await call('GET', `/api/t/${owner.tenant.slug}/audit-log`, { token: owner.token });
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toContain('support.viewed');
  });
});
