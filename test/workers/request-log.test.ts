import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import type { LogLine } from '../../src/platform/log/logger';
import { redactPath } from '../../src/platform/log/request-log';
import { call, signUpAndSignIn, signUpOwner, tokenOf, uniqueEmail } from './helpers';

describe('request log', () => {
  it('writes one structured line per request with the request id, tenant, user, route, status and duration', async () => {
    const { token, tenant, user } = await signUpOwner();
    const lines: LogLine[] = [];
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
    const lines: LogLine[] = [];
    const app = createApp({ logSink: (line) => lines.push(line) });
    await app.request(`/api/t/${victim.tenant.slug}/projects`, { headers: { authorization: `Bearer ${attacker.token}` } }, env);
    expect(lines[0]).toMatchObject({ level: 'warn', status: 404, tenantId: null, userId: attacker.user.id });
  });

  it('never logs an invitation token: the path names the param instead', async () => {
    const owner = await signUpOwner();
    const email = uniqueEmail('invitee');
    const invite = await call('POST', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token, body: { email, role: 'member' } });
    const token = tokenOf(invite.body.acceptUrl);
    const invitee = await signUpAndSignIn({ email, name: 'Invitee' }, false);
    const lines: LogLine[] = [];
    const app = createApp({ logSink: (line) => lines.push(line) });

    const page = await app.request(`/invitations/${token}`, {}, env);
    const accepted = await app.request(`/api/invitations/${token}/accept`, { method: 'POST', headers: { authorization: `Bearer ${invitee.token}` } }, env);
    const again = await app.request(`/api/invitations/${token}/accept`, { method: 'POST', headers: { authorization: `Bearer ${invitee.token}` } }, env);

    expect([page.status, accepted.status, again.status]).toEqual([200, 200, 409]);
    expect(lines.map((line) => [line.route, line.path])).toEqual([
      ['/invitations/:token', '/invitations/:token'],
      ['/api/invitations/:token/accept', '/api/invitations/:token/accept'],
      ['/api/invitations/:token/accept', '/api/invitations/:token/accept'],
    ]);
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('redacts by the route pattern, leaving other params as they are', () => {
    expect(redactPath('/t/acme/projects/prj_1', '/t/:tenant/projects/:id')).toBe('/t/acme/projects/prj_1');
    expect(redactPath('/invitations/s3cret', '/invitations/:token{[\\w-]+}')).toBe('/invitations/:token');
    expect(redactPath('/api/whatever/s3cret', '/api/*')).toBe('/api/whatever/s3cret');
  });
});
