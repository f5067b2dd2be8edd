import { env } from 'cloudflare:workers';
import { seatsFor } from '../../src/features/seats/client';
import { addMember, call, signUpOwner, uniqueEmail, type SignedUp } from './helpers';

/** Puts a tenant on an active pro plan with `seats` seats, as a confirmed webhook would. */
export async function grantProPlan(tenantId: string, seats: number): Promise<void> {
  await env.DB.prepare(`UPDATE subscriptions SET plan = 'pro', status = 'active', seat_quantity = ? WHERE tenant_id = ?`)
    .bind(seats, tenantId)
    .run();
  await seatsFor(env, tenantId).setLimits({ seats, projects: 100 });
}

export interface Team {
  owner: SignedUp;
  admin: Omit<SignedUp, 'tenant'>;
  member: Omit<SignedUp, 'tenant'>;
  /** A second member, for routes that act on someone. */
  target: Omit<SignedUp, 'tenant'>;
  projectId: string;
  invitationId: string;
  apiKeyId: string;
  base: string;
}

/** A pro tenant with an owner, an admin, two members, a project, a pending invitation and an API key. */
export async function makeTeam(): Promise<Team> {
  const owner = await signUpOwner('Team Co');
  await grantProPlan(owner.tenant.id, 20);
  const base = `/api/t/${owner.tenant.slug}`;
  const [admin, member, target] = [await addMember(owner, 'admin'), await addMember(owner, 'member'), await addMember(owner, 'member', 'target')];
  const project = await call('POST', `${base}/projects`, { token: owner.token, body: { name: 'Shared' } });
  const invitation = await call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('pending'), role: 'member' } });
  const key = await call('POST', `${base}/api-keys`, { token: owner.token, body: { name: 'CI', role: 'member' } });
  return {
    owner,
    admin,
    member,
    target,
    base,
    projectId: project.body.project.id,
    invitationId: invitation.body.invitation.id,
    apiKeyId: key.body.apiKey.id,
  };
}
