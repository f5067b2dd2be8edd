import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { previewInvitation } from '../../src/features/invitations/service';
import { serviceContext } from '../../src/platform/context';
import { listMailbox } from '../../src/platform/email/outbox';
import { call, signUpAndSignIn, signUpOwner, signUpUser, tokenOf, uniqueEmail } from './helpers';

async function invite(owner: Awaited<ReturnType<typeof signUpOwner>>, email = uniqueEmail('invitee'), role = 'member') {
  const res = await call('POST', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token, body: { email, role } });
  return { res, email, token: res.status === 201 ? tokenOf(res.body.acceptUrl) : '' };
}

const signUpAs = (email: string) => signUpAndSignIn({ email, name: 'Invitee' }, false);

describe('invitations', () => {
  it('invites, lets the invitee sign up without a tenant, and accepts once', async () => {
    const owner = await signUpOwner();
    const { res, email, token } = await invite(owner);
    expect(res.status).toBe(201);
    expect(res.body.invitation).toMatchObject({ email, role: 'member', status: 'pending' });
    expect(res.body.acceptUrl).toBe(`${env.APP_URL}/invitations/${token}`);
    expect(token).toMatch(/^[\w-]{43}$/);

    const invitee = await signUpAs(email);
    const accepted = await call('POST', `/api/invitations/${token}/accept`, { token: invitee.token });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ tenant: owner.tenant, role: 'member' });
    const me = await call('GET', '/api/me', { token: invitee.token });
    expect(me.body.memberships).toEqual([{ tenant: owner.tenant, role: 'member' }]);

    const again = await call('POST', `/api/invitations/${token}/accept`, { token: invitee.token });
    expect(again.status).toBe(409);
    const pending = await call('GET', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token });
    expect(pending.body.invitations).toEqual([]);
  });

  it('stores only a hash of the token', async () => {
    const owner = await signUpOwner();
    const { token } = await invite(owner);
    const { results } = await env.DB.prepare('SELECT token_hash FROM invitations WHERE tenant_id = ?').bind(owner.tenant.id).all<{ token_hash: string }>();
    expect(results).toHaveLength(1);
    expect(results[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(results)).not.toContain(token);
  });

  it('refuses a wrong email, a signed-out caller, an unknown token and a malformed one', async () => {
    const owner = await signUpOwner();
    const { token } = await invite(owner);
    const stranger = await signUpUser('stranger');
    const wrong = await call('POST', `/api/invitations/${token}/accept`, { token: stranger.token });
    expect(wrong.status).toBe(403);
    expect((await call('POST', `/api/invitations/${token}/accept`)).status).toBe(401);
    const unknown = await call('POST', `/api/invitations/${'A'.repeat(43)}/accept`, { token: stranger.token });
    expect(unknown.status).toBe(404);
    expect((await call('POST', '/api/invitations/short/accept', { token: stranger.token })).status).toBe(400);
    const members = await call('GET', `/api/t/${owner.tenant.slug}/members`, { token: owner.token });
    expect(members.body.members.map((m: { user: { id: string } }) => m.user.id)).toEqual([owner.user.id]);
    const me = await call('GET', '/api/me', { token: stranger.token });
    expect(me.body.memberships).toEqual([]);
  });

  it('refuses an expired invitation, and the address can be invited again', async () => {
    const owner = await signUpOwner();
    const { email, token, res } = await invite(owner);
    await env.DB.prepare('UPDATE invitations SET expires_at = ? WHERE id = ?').bind(Date.now() - 1000, res.body.invitation.id).run();
    const invitee = await signUpAs(email);
    const accepted = await call('POST', `/api/invitations/${token}/accept`, { token: invitee.token });
    expect(accepted.status).toBe(409);
    expect(accepted.body.error.message).toMatch(/expired/);
    // The same address can be invited again once the old invitation expired.
    expect((await invite(owner, email)).res.status).toBe(201);
  });

  it('refuses a revoked invitation', async () => {
    const owner = await signUpOwner();
    const { email, token, res } = await invite(owner);
    expect((await call('DELETE', `/api/t/${owner.tenant.slug}/invitations/${res.body.invitation.id}`, { token: owner.token })).status).toBe(204);
    const invitee = await signUpAs(email);
    const accepted = await call('POST', `/api/invitations/${token}/accept`, { token: invitee.token });
    expect(accepted.status).toBe(409);
    expect(accepted.body.error.message).toMatch(/revoked/);
    expect((await call('DELETE', `/api/t/${owner.tenant.slug}/invitations/${res.body.invitation.id}`, { token: owner.token })).status).toBe(409);
  });

  it('refuses a second pending invitation to the same email, and one to an existing member', async () => {
    const owner = await signUpOwner();
    const email = uniqueEmail('twice');
    expect((await invite(owner, email)).res.status).toBe(201);
    const twice = await invite(owner, email);
    expect(twice.res.status).toBe(409);
    const self = await invite(owner, owner.user.email);
    expect(self.res.status).toBe(409);
    expect(self.res.body.error.message).toMatch(/already a member/);
  });

  it('queues an email with the accept link for the dev mailbox', async () => {
    const owner = await signUpOwner('Mail Co');
    const { email, res } = await invite(owner);
    const mail = (await listMailbox(env)).find((m) => m.to === email);
    expect(mail).toMatchObject({ tenantId: owner.tenant.id, subject: expect.stringContaining('Mail Co') });
    expect(mail?.text).toContain(res.body.acceptUrl);
  });
});

describe('invitation preview', () => {
  it('shows the holder of the link which tenant, role and address, and whether it is still valid', async () => {
    const owner = await signUpOwner('Preview Co');
    const { res, email, token } = await invite(owner, uniqueEmail('preview'), 'admin');
    const preview = await previewInvitation(serviceContext(env, 'test-preview'), token);
    expect(preview).toEqual({ tenantName: 'Preview Co', email, role: 'admin', status: 'pending', expiresAt: res.body.invitation.expiresAt });
    await call('DELETE', `/api/t/${owner.tenant.slug}/invitations/${res.body.invitation.id}`, { token: owner.token });
    expect((await previewInvitation(serviceContext(env, 'test-preview'), token)).status).toBe('revoked');
    await expect(previewInvitation(serviceContext(env, 'test-preview'), 'B'.repeat(43))).rejects.toMatchObject({ code: 'not_found' });
  });
});
