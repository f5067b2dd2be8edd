/**
 * Members and invitations on one page: change roles, remove, invite, revoke.
 * Role pickers offer only what the viewer may grant, and rows the viewer may
 * not touch (someone above their role) have no controls; the services refuse
 * all of it anyway.
 */
import { emailUnverified } from '../../platform/auth/middleware';
import { currentUser } from '../../platform/ui/page-session';
import type { Context } from 'hono';
import { deliverOutbox } from '../../platform/email/outbox';
import { AppError, notFound } from '../../platform/errors';
import { requirePermission } from '../../platform/tenancy/guard';
import { can, canGrant, grantableRoles, type Role } from '../../platform/tenancy/policy';
import { confirmPage } from '../../platform/ui/confirm';
import { redirectWithFlash } from '../../platform/ui/flash';
import { buttonAction, Field, FormCard, readForm, readParams, SelectField, type FormState } from '../../platform/ui/form';
import { DataTable, Form, formatTime, ROLE_LABELS, ROLE_NOUNS, RowAction } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import { pageWithForm } from '../../platform/ui/page-with-form';
import type { NavTab, TenantPageEnv } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import { createInvitationBody, invitationParams } from '../invitations/inputs';
import { createInvitation, listInvitations, resendInvitation, revokeInvitation } from '../invitations/service';
import { atLimit, UsageNote } from '../billing/usage';
import { seatsFor } from '../seats/client';
import { changeRoleBody, memberParams } from './inputs';
import { memberPermissions } from './permissions';
import { changeMemberRole, listMembers, removeMember, type MemberView } from './service';

export const membersTab: NavTab = { label: 'Members', path: 'members', permission: memberPermissions.read };

async function membersPage(c: Context<TenantPageEnv>, invite: FormState) {
  const ctx = c.get('tenantCtx');
  const page = (...segments: string[]) => tenantPath(ctx.tenant, 'members', ...segments);
  const manage = can(ctx.role, memberPermissions.manage);
  const inviting = can(ctx.role, memberPermissions.invite);
  const roles = grantableRoles(ctx.role).map((role) => ({ value: role, label: ROLE_LABELS[role] }));
  const [members, invitations, seats] = await Promise.all([
    listMembers(ctx),
    inviting ? listInvitations(ctx) : Promise.resolve([]),
    // The count is a convenience here: without the tenant's object the page still works, the invite is still checked.
    seatsFor(ctx.env, ctx.tenant.id)
      .usage()
      .catch(() => null),
  ]);
  const me = ctx.actor.id;
  const full = seats !== null && atLimit(seats);

  return renderPage(
    c,
    { title: 'Members', tab: membersTab },
    <>
      <h1>Members</h1>
      {seats && <UsageNote ctx={ctx} usage={seats} noun={['seat', 'seats']} id="seat-usage" />}
      {inviting && !full && (
        <FormCard
          id="invite-heading"
          heading="Invite someone"
          csrf={c.get('csrfToken')}
          action={page('invitations')}
          state={invite}
          after={<p class="hint">Each member and each pending invitation takes a seat.</p>}
        >
          <Field name="email" label="Email" type="email" state={invite} id="invite-email" required />
          <SelectField name="role" label="Role" state={invite} id="invite-role" options={roles} initial="member" />
          <button type="submit">Send invitation</button>
        </FormCard>
      )}
      <DataTable
        caption="Members"
        head={['Name', 'Email', 'Role', 'Joined', 'Actions']}
        empty="No members."
        stacked
        rows={members.map((m) => {
          const self = m.user.id === me;
          // Nobody acts on someone above their own role (only owners touch owners).
          const controls = manage && !self && canGrant(ctx.role, m.role);
          return (
            <tr>
              <td>
                {m.user.name}
                {self && <span class="muted"> (you)</span>}
              </td>
              <td class="wrap">{m.user.email}</td>
              <td>
                <span class="pill">{ROLE_LABELS[m.role]}</span>
              </td>
              <td>{formatTime(m.joinedAt)}</td>
              <td>
                <div class="row-actions">
                  {controls && (
                    // A GET: the choice goes to a confirmation page, which posts it.
                    <form method="get" action={page(m.user.id, 'role')} class="row-actions" aria-label={`Change role for ${m.user.email}`}>
                      <label class="visually-hidden" for={`role-${m.user.id}`}>
                        Role for {m.user.email}
                      </label>
                      <select id={`role-${m.user.id}`} name="role">
                        {roles.map((r) => (
                          <option value={r.value} selected={r.value === m.role}>
                            {r.label}
                          </option>
                        ))}
                      </select>
                      <button type="submit" class="secondary small">
                        Change role
                      </button>
                    </form>
                  )}
                  {controls && <RowAction href={page(m.user.id, 'remove')} label="Remove" describedAs={`Remove ${m.user.email}`} />}
                  {self && <RowAction href={page(m.user.id, 'remove')} label="Leave" describedAs={`Leave ${ctx.tenant.name}`} />}
                </div>
              </td>
            </tr>
          );
        })}
      />
      {inviting && (
        <DataTable
          caption="Pending invitations"
          head={['Email', 'Role', 'Expires', 'Actions']}
          empty="No pending invitations."
          stacked
          rows={invitations.map((inv) => (
            <tr>
              <td class="wrap">{inv.email}</td>
              <td>
                <span class="pill">{ROLE_LABELS[inv.role]}</span>
              </td>
              <td>{inv.status === 'expired' ? 'Expired' : formatTime(inv.expiresAt)}</td>
              <td>
                <div class="row-actions">
                  <Form csrf={c.get('csrfToken')} action={page('invitations', inv.id, 'resend')}>
                    <button type="submit" class="secondary small" aria-label={`Resend invitation to ${inv.email} with a new link`}>
                      Resend / new link
                    </button>
                  </Form>
                  <RowAction href={page('invitations', inv.id, 'revoke')} label="Revoke" describedAs={`Revoke invitation for ${inv.email}`} />
                </div>
              </td>
            </tr>
          ))}
        />
      )}
    </>,
  );
}

/** The member a row action is about, or 404. */
async function memberOr404(c: Context<TenantPageEnv>, userId: string): Promise<MemberView> {
  const member = (await listMembers(c.get('tenantCtx'))).find((m) => m.user.id === userId);
  if (!member) throw notFound('Member');
  return member;
}

const membersPath = (c: Context<TenantPageEnv>) => tenantPath(c.get('tenantCtx').tenant, 'members');

/** Mounted at /t/:tenant/members. Row actions confirm first (GET), then answer with a flash on the members page, success or refusal. */
export const memberPages = pageWithForm({
  view: memberPermissions.read,
  post: memberPermissions.invite,
  postPath: '/invitations',
  schema: createInvitationBody,
  // Seats full (402), already invited or a member (409), a role above yours (403): said in the flash, input kept.
  page: membersPage,
  submit: async (c, input) => {
    if (!currentUser(c)?.emailVerified) throw emailUnverified();
    const { invitation, acceptUrl } = await createInvitation(c.get('tenantCtx'), input);
    c.executionCtx.waitUntil(deliverOutbox(c.env, { log: c.get('log'), tenantId: c.get('tenantCtx').tenant.id }));
    return redirectWithFlash(c, membersPath(c), {
      kind: 'success',
      message: `Invitation sent to ${invitation.email} as ${ROLE_LABELS[invitation.role].toLowerCase()}.`,
      reveal: { label: 'You can also share this link with them:', value: acceptUrl },
    });
  },
})
  .post('/invitations/:id/resend', requirePermission(memberPermissions.invite), (c) => {
    const { id } = readParams(c, invitationParams);
    return buttonAction(c, membersPath(c), async () => {
      const { invitation, acceptUrl } = await resendInvitation(c.get('tenantCtx'), id);
      c.executionCtx.waitUntil(deliverOutbox(c.env, { log: c.get('log'), tenantId: c.get('tenantCtx').tenant.id }));
      return redirectWithFlash(c, membersPath(c), {
        kind: 'success',
        message: `Invitation sent again to ${invitation.email}, with a new link; the old link no longer works.`,
        reveal: { label: 'Copy the new link:', value: acceptUrl },
      });
    });
  })
  .get('/invitations/:id/revoke', requirePermission(memberPermissions.invite), async (c) => {
    const { id } = readParams(c, invitationParams);
    const invitation = (await listInvitations(c.get('tenantCtx'))).find((inv) => inv.id === id);
    if (!invitation) throw notFound('Invitation');
    return confirmPage(c, {
      title: 'Revoke invitation',
      tab: membersTab,
      question: `Revoke the invitation for ${invitation.email}?`,
      body: <p>The link in their email stops working and the seat is free again. You can invite them again later.</p>,
      action: tenantPath(c.get('tenantCtx').tenant, 'members', 'invitations', id, 'revoke'),
      button: 'Revoke invitation',
      cancel: membersPath(c),
    });
  })
  .post('/invitations/:id/revoke', requirePermission(memberPermissions.invite), (c) => {
    const { id } = readParams(c, invitationParams);
    return buttonAction(c, membersPath(c), async () => {
      await revokeInvitation(c.get('tenantCtx'), id);
      return 'Invitation revoked; its seat is free again.';
    });
  })
  .get('/:userId/role', requirePermission(memberPermissions.manage), async (c) => {
    const { userId } = readParams(c, memberParams);
    const chosen = changeRoleBody.safeParse({ role: c.req.query('role') });
    if (!chosen.success) return redirectWithFlash(c, membersPath(c), { kind: 'error', message: 'Choose one of the roles offered.' });
    const member = await memberOr404(c, userId);
    const to = chosen.data.role;
    if (to === member.role) return redirectWithFlash(c, membersPath(c), { kind: 'info', message: `${member.user.name} is already ${ROLE_NOUNS[to]}. Nothing changed.` });
    return confirmPage(c, {
      title: 'Change role',
      tab: membersTab,
      question: `Change ${member.user.name} from ${ROLE_LABELS[member.role]} to ${ROLE_LABELS[to]}?`,
      body: (
        <p>
          {member.user.email} becomes {ROLE_NOUNS[to]} of {c.get('tenantCtx').tenant.name}.{' '}
          {RANK_NOTE[to]}
        </p>
      ),
      action: tenantPath(c.get('tenantCtx').tenant, 'members', userId, 'role'),
      button: `Make ${ROLE_NOUNS[to].replace(/^an? /, '')}`,
      cancel: membersPath(c),
      danger: false,
      fields: { role: to },
    });
  })
  .post('/:userId/role', requirePermission(memberPermissions.manage), async (c) => {
    const { userId } = readParams(c, memberParams);
    const form = await readForm(c, changeRoleBody);
    return buttonAction(c, membersPath(c), async () => {
      if (!form.ok) throw new AppError('validation_failed', 'Choose one of the roles offered.');
      const member = await changeMemberRole(c.get('tenantCtx'), userId, form.data);
      return `${member.user.name} is now ${ROLE_NOUNS[member.role]}.`;
    });
  })
  .get('/:userId/remove', requirePermission(memberPermissions.manage, { orSelf: 'userId' }), async (c) => {
    const { userId } = readParams(c, memberParams);
    const ctx = c.get('tenantCtx');
    const member = await memberOr404(c, userId);
    const leaving = userId === ctx.actor.id;
    return confirmPage(c, {
      title: leaving ? 'Leave organisation' : 'Remove member',
      tab: membersTab,
      question: leaving ? `Leave ${ctx.tenant.name}?` : `Remove ${member.user.name} from ${ctx.tenant.name}?`,
      body: leaving ? (
        <p>You lose access to its projects at once, and your API keys here are revoked. To come back, someone has to invite you again.</p>
      ) : (
        <p>
          {member.user.email} loses access at once; their API keys here are revoked and their seat is free again.
        </p>
      ),
      action: tenantPath(ctx.tenant, 'members', userId, 'remove'),
      button: leaving ? 'Leave organisation' : 'Remove member',
      cancel: membersPath(c),
    });
  })
  .post('/:userId/remove', requirePermission(memberPermissions.manage, { orSelf: 'userId' }), (c) => {
    const { userId } = readParams(c, memberParams);
    const ctx = c.get('tenantCtx');
    return buttonAction(c, membersPath(c), async () => {
      await removeMember(ctx, userId);
      if (userId === ctx.actor.id) return redirectWithFlash(c, '/', { kind: 'success', message: `You left ${ctx.tenant.name}.` });
      return 'Member removed; their seat is free again.';
    });
  });

/** What the new role may do, said on the confirmation. */
const RANK_NOTE: Record<Role, string> = {
  owner: 'Owners can do everything, including billing and deleting the organisation.',
  admin: 'Admins manage members, invitations, API keys and settings, but not billing.',
  member: 'Members work on projects; they cannot manage people, keys or settings.',
};
