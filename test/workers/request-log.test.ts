import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import type { RequestLogLine } from '../../src/platform/log/request-log';
import { signUpOwner } from './helpers';

describe('request log', () => {
  it('writes one structured line per request with the request id, tenant, user, route, status and duration', async () => {
    const { token, tenant, user } = await signUpOwner();
    const lines: RequestLogLine[] = [];
    const app = createApp({ logSink: (line) => lines.push(line) });

    const res = await app.request(`/api/t/${tenant.slug}/projects`, { headers: { authorization: `Bearer ${token}` } }, env);

    expect(res.status).toBe(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'request',
      requestId: res.headers.get('x-request-id'),
      method: 'GET',
      route: '/api/t/:tenant/projects',
      path: `/api/t/${tenant.slug}/projects`,
      status: 200,
      tenantId: tenant.id,
      userId: user.id,
    });
    expect(lines[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('logs refusals as warnings, with no tenant for a non-member', async () => {
    const victim = await signUpOwner();
    const attacker = await signUpOwner();
    const lines: RequestLogLine[] = [];
    const app = createApp({ logSink: (line) => lines.push(line) });
    await app.request(`/api/t/${victim.tenant.slug}/projects`, { headers: { authorization: `Bearer ${attacker.token}` } }, env);
    expect(lines[0]).toMatchObject({ level: 'warn', status: 404, tenantId: null, userId: attacker.user.id });
  });
});
