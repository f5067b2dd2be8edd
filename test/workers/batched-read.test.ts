/**
 * A route's read batched with who and where (platform/auth/with-resolution.ts):
 * one round trip, and the rows reach only a caller the same batch's
 * resolution admitted.
 */
import { describe, expect, it } from 'vitest';
import { addMember, call, ORIGIN, signUpOwner } from './helpers';
import { measure } from './round-trips';

function get(path: string, token: string): Request {
  return new Request(`${ORIGIN}${path}`, { headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': '10.9.9.9' } });
}

describe('a read batched with who and where', () => {
  it('answers the members list, the projects list and /api/me in one D1 round trip with the same rows as before', async () => {
    const owner = await signUpOwner('Batched Co');
    const member = await addMember(owner, 'member');
    const base = `/api/t/${owner.tenant.slug}`;
    await call('POST', `${base}/projects`, { token: owner.token, body: { name: 'First' } });
    await call('POST', `${base}/projects`, { token: owner.token, body: { name: 'Second' } });

    const members = await measure(get(`${base}/members`, member.token));
    expect(members.status).toBe(200);
    expect(members.d1).toBe(1);
    const listed = ((await members.response.json()) as { members: { user: { id: string; email: string }; role: string }[] }).members;
    expect(listed.map((m) => [m.user.id, m.role])).toEqual([
      [owner.user.id, 'owner'],
      [member.user.id, 'member'],
    ]);

    const projects = await measure(get(`${base}/projects`, member.token));
    expect(projects.d1).toBe(1);
    expect(((await projects.response.json()) as { projects: { name: string }[] }).projects.map((p) => p.name)).toEqual(['Second', 'First']);

    const me = await measure(get('/api/me', owner.token));
    expect(me.d1).toBe(1);
    const body = (await me.response.json()) as { user: { id: string; email: string }; memberships: { tenant: { id: string; slug: string }; role: string }[] };
    expect(body.user).toMatchObject({ id: owner.user.id, email: owner.user.email });
    expect(body.memberships).toEqual([{ tenant: { id: owner.tenant.id, slug: owner.tenant.slug, name: 'Batched Co' }, role: 'owner' }]);
  });

  it('answers /api/me with the resolution\'s own statement: every tenant, by name, and nothing for a revoked session', async () => {
    const first = await signUpOwner('Zeta Me Co');
    const second = await signUpOwner('Alpha Me Co');
    // An admin of a second tenant: two memberships.
    const invite = await call('POST', `/api/t/${second.tenant.slug}/invitations`, { token: second.token, body: { email: first.user.email, role: 'admin' } });
    expect((await call('POST', `/api/invitations/${new URL(invite.body.acceptUrl as string).pathname.split('/').at(-1)}/accept`, { token: first.token })).status).toBe(200);

    const me = await measure(get('/api/me', first.token));
    expect(me.status).toBe(200);
    // One statement (not a batch of two): who is calling and their tenants are one join.
    expect(me.statements).toHaveLength(1);
    expect(me.statements[0]?.sql).toMatch(/from "sessions"/i);
    const body = (await me.response.json()) as { user: { id: string }; memberships: { tenant: { name: string }; role: string }[] };
    expect(body.user.id).toBe(first.user.id);
    expect(body.memberships.map((m) => [m.tenant.name, m.role])).toEqual([
      ['Alpha Me Co', 'admin'],
      ['Zeta Me Co', 'owner'],
    ]);

    expect((await call('POST', '/api/auth/logout', { token: first.token })).status).toBe(204);
    const revoked = await measure(get('/api/me', first.token));
    expect(revoked.status).toBe(401);
    expect(await revoked.response.text()).not.toContain('Alpha Me Co');
  });

  it('gives another tenant\'s member a 404 and no rows, and a revoked session a 401', async () => {
    const victim = await signUpOwner('Victim Batched');
    await call('POST', `/api/t/${victim.tenant.slug}/projects`, { token: victim.token, body: { name: 'Secret plan' } });
    const intruder = await signUpOwner('Intruder Batched');

    const members = await measure(get(`/api/t/${victim.tenant.slug}/members`, intruder.token));
    expect(members.status).toBe(404);
    expect(await members.response.text()).not.toContain(victim.user.email);
    const projects = await measure(get(`/api/t/${victim.tenant.slug}/projects`, intruder.token));
    expect(projects.status).toBe(404);
    expect(await projects.response.text()).not.toContain('Secret plan');

    expect((await call('POST', '/api/auth/logout', { token: victim.token })).status).toBe(204);
    const afterLogout = await measure(get(`/api/t/${victim.tenant.slug}/projects`, victim.token));
    expect(afterLogout.status).toBe(401);
    expect(await afterLogout.response.text()).not.toContain('Secret plan');
  });

  it('reads an API key\'s own tenant in the same batch, and never another tenant through it', async () => {
    const owner = await signUpOwner('Keyed Batched');
    const other = await signUpOwner('Other Batched');
    await call('POST', `/api/t/${other.tenant.slug}/projects`, { token: other.token, body: { name: 'Not yours' } });
    await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token, body: { name: 'Yours' } });
    const key = await call('POST', `/api/t/${owner.tenant.slug}/api-keys`, { token: owner.token, body: { name: 'Reader', role: 'member' } });
    const secret = key.body.secret as string;

    const own = await measure(get(`/api/t/${owner.tenant.slug}/projects`, secret));
    expect(own.status).toBe(200);
    // Besides the batch, only the key's last-use note (bookkeeping in waitUntil, not awaited by the answer).
    const bookkeeping = own.statements.filter((s) => /^update "api_keys" set "last_used_at"/i.test(s.sql));
    expect(bookkeeping).toHaveLength(1);
    expect(own.d1 - bookkeeping.length).toBe(1);
    expect(((await own.response.json()) as { projects: { name: string }[] }).projects.map((p) => p.name)).toEqual(['Yours']);

    const elsewhere = await measure(get(`/api/t/${other.tenant.slug}/projects`, secret));
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.response.text()).not.toContain('Not yours');
  });
});
