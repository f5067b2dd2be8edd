import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, signUpOwner } from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request id', () => {
  it('is made by the server: a client-sent X-Request-Id reaches neither the response nor the audit log', async () => {
    const { token, tenant } = await signUpOwner();
    const res = await call('POST', `/api/t/${tenant.slug}/projects`, { token, body: { name: 'Apollo' }, headers: { 'x-request-id': 'forged' } });

    expect(res.status).toBe(201);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    const audit = await env.DB.prepare(`SELECT request_id FROM audit_log WHERE tenant_id = ? AND action = 'project.created'`)
      .bind(tenant.id)
      .first<{ request_id: string }>();
    expect(audit?.request_id).toBe(id);
  });

  it('is a new one for every request', async () => {
    const [a, b] = [await call('GET', '/healthz'), await call('GET', '/healthz')];
    expect(a.headers.get('x-request-id')).toMatch(UUID);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });
});
