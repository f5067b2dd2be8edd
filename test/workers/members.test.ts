import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { makeTeam } from './fixtures';
import { addMember, call, signUpOwner, uniqueEmail } from './helpers';

async function auditActions(base: string, token: string): Promise<string[]> {
  const res = await call('GET', `${base}/audit-log?limit=100`, { token });
  return res.body.entries.map((e: { action: string }) => e.action);
}

describe('members and roles', () => {
  it('a member works on projects but manages nothing', async () => {
    const team = await makeTeam();
    const token = team.member.token;
    expect((await call('POST', `${team.base}/projects`, { token, body: { name: 'Mine' } })).status).toBe(201);
    expect((await call('GET', `${team.base}/members`, { token })).status).toBe(200);
    const refused = [
      await call('POST', `${team.base}/invitations`, { token, body: { email: 'x@example.test', role: 'member' } }),
      await call('PATCH', `${team.base}/members/${team.target.user.id}`, { token, body: { role: 'member' } }),
      await call('DELETE', `${team.base}/members/${team.target.user.id}`, { token }),
      await call('GET', `${team.base}/api-keys`, { token }),
      await call('GET', `${team.base}/audit-log`, { token }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
  });

  it('an admin manages members but cannot touch owners or grant owner', async () => {
    const team = await makeTeam();
    const token = team.admin.token;
    const ownerId = team.owner.user.id;
    expect((await call('PATCH', `${team.base}/members/${team.target.user.id}`, { token, body: { role: 'admin' } })).status).toBe(200);
    expect((await call('PATCH', `${team.base}/members/${ownerId}`, { token, body: { role: 'member' } })).status).toBe(403);
    expect((await call('DELETE', `${team.base}/members/${ownerId}`, { token })).status).toBe(403);
    expect((await call('PATCH', `${team.base}/members/${team.member.user.id}`, { token, body: { role: 'owner' } })).status).toBe(403);
    expect((await call('POST', `${team.base}/invitations`, { token, body: { email: 'boss@example.test', role: 'owner' } })).status).toBe(403);
    const members = await call('GET', `${team.base}/members`, { token });
    expect(members.body.members.find((m: { user: { id: string } }) => m.user.id === ownerId).role).toBe('owner');
  });

  it('the last owner can neither leave nor be demoted; with a second owner, one can leave', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const self = `${base}/members/${owner.user.id}`;
    const demote = await call('PATCH', self, { token: owner.token, body: { role: 'admin' } });
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe('conflict');
    expect((await call('DELETE', self, { token: owner.token })).status).toBe(409);

    const second = await addMember(owner, 'owner', 'second-owner');
    expect((await call('DELETE', self, { token: owner.token })).status).toBe(204);
    const members = await call('GET', `${base}/members`, { token: second.token });
    expect(members.body.members.map((m: { role: string }) => m.role)).toEqual(['owner']);
    expect(await auditActions(base, second.token)).toContain('member.left');
  });

  it('two owners demoting each other at once leave exactly one owner', async () => {
    const owner = await signUpOwner();
    const other = await addMember(owner, 'owner', 'other-owner');
    const base = `/api/t/${owner.tenant.slug}`;
    const results = await Promise.all([
      call('PATCH', `${base}/members/${other.user.id}`, { token: owner.token, body: { role: 'member' } }),
      call('PATCH', `${base}/members/${owner.user.id}`, { token: other.token, body: { role: 'member' } }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    // Either one demotion wins and the other finds the last owner (409), or the
    // loser already lost the owner role and is refused (403): never zero owners.
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const { results: owners } = await env.DB.prepare(`SELECT user_id FROM memberships WHERE tenant_id = ? AND role = 'owner'`)
      .bind(owner.tenant.id)
      .all();
    expect(owners).toHaveLength(1);
  });

  it('a demotion or removal takes the authority it removes with it: pending invitations above the new role are revoked and their seats freed', async () => {
    const team = await makeTeam();
    const invite = async (role: string) =>
      (await call('POST', `${team.base}/invitations`, { token: team.admin.token, body: { email: uniqueEmail(role), role } })).body.invitation.id as string;
    const adminInvite = await invite('admin');
    const memberInvite = await invite('member');
    const used = async () => (await call('GET', `${team.base}/billing`, { token: team.owner.token })).body.seats.used as number;
    const before = await used();

    await call('PATCH', `${team.base}/members/${team.admin.user.id}`, { token: team.owner.token, body: { role: 'member' } });
    const pending = async () => (await call('GET', `${team.base}/invitations`, { token: team.owner.token })).body.invitations.map((i: { id: string }) => i.id);
    expect(await pending()).not.toContain(adminInvite);
    expect(await pending()).toContain(memberInvite);
    expect(await used()).toBe(before - 1);

    await call('DELETE', `${team.base}/members/${team.admin.user.id}`, { token: team.owner.token });
    expect(await pending()).not.toContain(memberInvite);
    expect(await used()).toBe(before - 3);
    const log = await call('GET', `${team.base}/audit-log?action=member.removed`, { token: team.owner.token });
    expect(log.body.entries[0].metadata).toMatchObject({ invitationsRevoked: 1 });
  });

  it('a refused demotion revokes nothing', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const { secret } = (await call('POST', `${base}/api-keys`, { token: owner.token, body: { name: 'k', role: 'owner' } })).body;
    expect((await call('PATCH', `${base}/members/${owner.user.id}`, { token: owner.token, body: { role: 'member' } })).status).toBe(409);
    expect((await call('GET', `${base}/projects`, { token: secret })).status).toBe(200);
  });

  it('a removed member is locked out on their very next request', async () => {
    const team = await makeTeam();
    expect((await call('GET', team.base, { token: team.target.token })).status).toBe(200);
    expect((await call('DELETE', `${team.base}/members/${team.target.user.id}`, { token: team.admin.token })).status).toBe(204);
    const after = await call('GET', `${team.base}/projects`, { token: team.target.token });
    expect(after.status).toBe(404);
    const me = await call('GET', '/api/me', { token: team.target.token });
    expect(me.body.memberships).toEqual([]);
  });

  it('any member may leave on their own', async () => {
    const team = await makeTeam();
    expect((await call('DELETE', `${team.base}/members/${team.member.user.id}`, { token: team.member.token })).status).toBe(204);
    expect((await call('GET', team.base, { token: team.member.token })).status).toBe(404);
  });

  it('records each change in the audit log with actor, target and request id', async () => {
    const team = await makeTeam();
    const change = await call('PATCH', `${team.base}/members/${team.target.user.id}`, { token: team.owner.token, body: { role: 'admin' } });
    await call('DELETE', `${team.base}/members/${team.member.user.id}`, { token: team.admin.token });
    const log = await call('GET', `${team.base}/audit-log`, { token: team.owner.token });
    const roleChanged = log.body.entries.find((e: { action: string }) => e.action === 'member.role_changed');
    expect(roleChanged).toMatchObject({
      actor: { type: 'user', id: team.owner.user.id },
      target: { type: 'user', id: team.target.user.id },
      metadata: { from: 'member', to: 'admin' },
      requestId: change.headers.get('x-request-id'),
    });
    const removed = log.body.entries.find((e: { action: string }) => e.action === 'member.removed');
    expect(removed).toMatchObject({ actor: { id: team.admin.user.id }, target: { id: team.member.user.id } });
    expect(await auditActions(team.base, team.owner.token)).toEqual(
      expect.arrayContaining(['tenant.created', 'invitation.created', 'invitation.accepted', 'member.added', 'project.created', 'api_key.created']),
    );
  });

  it('a refused change leaves no audit row', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const before = await auditActions(base, owner.token);
    await call('PATCH', `${base}/members/${owner.user.id}`, { token: owner.token, body: { role: 'member' } });
    expect(await auditActions(base, owner.token)).toEqual(before);
  });
});

describe('audit log', () => {
  it('pages newest first with a cursor and filters by action', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    for (const name of ['a', 'b', 'c']) await call('POST', `${base}/projects`, { token: owner.token, body: { name } });
    const names = (res: { body: { entries: { metadata: { name: string } }[] } }) => res.body.entries.map((e) => e.metadata.name);

    const first = await call('GET', `${base}/audit-log?limit=2&action=project.created`, { token: owner.token });
    expect(names(first)).toEqual(['c', 'b']);
    const last = await call('GET', `${base}/audit-log?limit=2&action=project.created&cursor=${first.body.nextCursor}`, { token: owner.token });
    expect(names(last)).toEqual(['a']);
    expect(last.body.nextCursor).toBeNull();
    const all = await call('GET', `${base}/audit-log`, { token: owner.token });
    expect(all.body.entries.map((e: { action: string }) => e.action)).toEqual(['project.created', 'project.created', 'project.created', 'tenant.created']);
  });

  it('refuses a malformed query', async () => {
    const owner = await signUpOwner();
    const res = await call('GET', `/api/t/${owner.tenant.slug}/audit-log?limit=1000`, { token: owner.token });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});
