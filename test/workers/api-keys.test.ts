import { describe, expect, it } from 'vitest';
import { makeTeam } from './fixtures';
import { call, signUpAndSignIn, signUpOwner, tokenOf, uniqueEmail } from './helpers';

describe('API keys', () => {
  it('shows the secret once, lists the prefix, and authenticates its own tenant with its role', async () => {
    const team = await makeTeam();
    const created = await call('POST', `${team.base}/api-keys`, { token: team.admin.token, body: { name: 'Deploy', role: 'member' } });
    expect(created.status).toBe(201);
    const { apiKey, secret } = created.body;
    expect(secret).toMatch(/^ssk_[\w-]{32}$/);
    expect(apiKey).toMatchObject({ name: 'Deploy', role: 'member', prefix: secret.slice(0, 12) });

    const list = await call('GET', `${team.base}/api-keys`, { token: team.owner.token });
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(list.body.apiKeys.map((k: { id: string }) => k.id)).toContain(apiKey.id);

    expect((await call('POST', `${team.base}/projects`, { token: secret, body: { name: 'From CI' } })).status).toBe(201);
    expect((await call('POST', `${team.base}/invitations`, { token: secret, body: { email: 'x@example.test', role: 'member' } })).status).toBe(403);
    expect((await call('GET', '/api/me', { token: secret })).status).toBe(403);

    const log = await call('GET', `${team.base}/audit-log?action=project.created`, { token: team.owner.token });
    expect(log.body.entries[0].actor).toEqual({ type: 'api_key', id: apiKey.id });

    const after = await call('GET', `${team.base}/api-keys`, { token: team.owner.token });
    expect(after.body.apiKeys.find((k: { id: string }) => k.id === apiKey.id).lastUsedAt).toEqual(expect.any(Number));
  });

  it('never reaches another tenant', async () => {
    const team = await makeTeam();
    const other = await signUpOwner('Elsewhere');
    const { secret } = (await call('POST', `${team.base}/api-keys`, { token: team.owner.token, body: { name: 'k', role: 'owner' } })).body;
    const res = await call('GET', `/api/t/${other.tenant.slug}/projects`, { token: secret });
    expect(res.status).toBe(404);
  });

  it('carries no role above its creator, and cannot mint keys', async () => {
    const team = await makeTeam();
    expect((await call('POST', `${team.base}/api-keys`, { token: team.admin.token, body: { name: 'k', role: 'owner' } })).status).toBe(403);
    const { secret } = (await call('POST', `${team.base}/api-keys`, { token: team.admin.token, body: { name: 'k', role: 'admin' } })).body;
    expect((await call('POST', `${team.base}/api-keys`, { token: secret, body: { name: 'k2', role: 'member' } })).status).toBe(403);
  });

  it('stops working when revoked, when its creator leaves, or above a demoted creator', async () => {
    const team = await makeTeam();
    const mint = async (token: string, role: string) =>
      (await call('POST', `${team.base}/api-keys`, { token, body: { name: role, role } })).body as { apiKey: { id: string }; secret: string };

    const revoked = await mint(team.owner.token, 'member');
    expect((await call('DELETE', `${team.base}/api-keys/${revoked.apiKey.id}`, { token: team.owner.token })).status).toBe(204);
    expect((await call('GET', `${team.base}/projects`, { token: revoked.secret })).status).toBe(401);

    const adminKey = await mint(team.admin.token, 'admin');
    const adminMemberKey = await mint(team.admin.token, 'member');
    await call('PATCH', `${team.base}/members/${team.admin.user.id}`, { token: team.owner.token, body: { role: 'member' } });
    expect((await call('GET', `${team.base}/projects`, { token: adminKey.secret })).status).toBe(401);
    expect((await call('GET', `${team.base}/projects`, { token: adminMemberKey.secret })).status).toBe(200);

    await call('DELETE', `${team.base}/members/${team.admin.user.id}`, { token: team.owner.token });
    expect((await call('GET', `${team.base}/projects`, { token: adminMemberKey.secret })).status).toBe(401);
  });

  it('only someone of the key\'s role or above revokes it: an admin cannot switch off an owner\'s key', async () => {
    const team = await makeTeam();
    const { apiKey, secret } = (await call('POST', `${team.base}/api-keys`, { token: team.owner.token, body: { name: 'Owner bot', role: 'owner' } })).body;
    const refused = await call('DELETE', `${team.base}/api-keys/${apiKey.id}`, { token: team.admin.token });
    expect(refused.status).toBe(403);
    expect((await call('GET', `${team.base}/projects`, { token: secret })).status).toBe(200);
    expect((await call('DELETE', `${team.base}/api-keys/${team.apiKeyId}`, { token: team.admin.token })).status).toBe(204);
  });

  it("what a key creates carries its creator's authority: an admin invitation sent with an admin's key dies when the admin is demoted or removed (issue 17 #2)", async () => {
    for (const loss of ['demoted', 'removed'] as const) {
      const team = await makeTeam();
      const { apiKey, secret } = (await call('POST', `${team.base}/api-keys`, { token: team.admin.token, body: { name: 'Admin bot', role: 'admin' } })).body;
      const email = uniqueEmail('via-key');
      const invite = await call('POST', `${team.base}/invitations`, { token: secret, body: { email, role: 'admin' } });
      expect(invite.status).toBe(201);

      // The audit log names both the key and the person it acts for.
      const log = await call('GET', `${team.base}/audit-log?action=invitation.created`, { token: team.owner.token });
      const entry = log.body.entries.find((e: { target: { id: string } | null }) => e.target?.id === invite.body.invitation.id);
      expect(entry.actor).toEqual({ type: 'api_key', id: apiKey.id });
      expect(entry.metadata).toMatchObject({ onBehalfOf: team.admin.user.id });

      if (loss === 'demoted') {
        expect((await call('PATCH', `${team.base}/members/${team.admin.user.id}`, { token: team.owner.token, body: { role: 'member' } })).status).toBe(200);
      } else {
        expect((await call('DELETE', `${team.base}/members/${team.admin.user.id}`, { token: team.owner.token })).status).toBe(204);
      }

      const invitee = await signUpAndSignIn({ email, name: 'Invitee' }, false);
      const accepted = await call('POST', `/api/invitations/${tokenOf(invite.body.acceptUrl)}/accept`, { token: invitee.token });
      expect(accepted.status, loss).not.toBe(200);
      const members = await call('GET', `${team.base}/members`, { token: team.owner.token });
      expect(JSON.stringify(members.body), loss).not.toContain(email);
    }
  });

  it('refuses a forged key', async () => {
    const team = await makeTeam();
    expect((await call('GET', `${team.base}/projects`, { token: `ssk_${'x'.repeat(32)}` })).status).toBe(401);
  });
});
