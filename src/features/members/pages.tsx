/**
 * Members and invitations on one page: change roles, remove, invite, revoke.
 * Role pickers offer only what the viewer may grant, and rows the viewer may
 * not touch (someone above their role) have no controls; the services refuse
 * all of it anyway.
 */
import type { Context } from 'hono';
import { deliverOutbox } from '../../platform/email/outbox';
import { AppError } from '../../platform/errors';
import { requirePermission } from '../../platform/tenancy/guard';
import { can, canGrant, grantableRoles } from '../../platform/tenancy/policy';
import { redirectWithFlash, type Flash } from '../../platform/ui/flash';
import { buttonAction, Field, FormCard, readForm, readParams, SelectField, type FormState, type PageStatus } from '../../platform/ui/form';
import { DataTable, Form, formatTime, ROLE_LABELS, RowAction } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import { pageWithForm } from '../../platform/ui/page-with-form';
import type { NavTab, TenantPageEnv } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import { createInvitationBody, invitationParams } from '../invitations/inputs';
import { createInvitation, listInvitations, revokeInvitation } from '../invitations/service';
import { changeRoleBody, memberParams } from './inputs';
import { memberPermissions } from './permissions';
import { changeMemberRole, listMembers, removeMember } from './service';

export const membersTab: NavTab = { label: 'Members', path: 'members', permission: memberPermissions.read };

async function membersPage(c: Context<TenantPageEnv>, invite: FormState, status: PageStatus = 200, flash?: Flash) {
  const ctx = c.var.tenantCtx;
  const page = (...segments: string[]) => tenantPath(ctx.tenant, 'members', ...segments);
  const csrf = c.var.csrfToken;
  const manage = can(ctx.role, memberPermissions.manage);
  const inviting = can(ctx.role, memberPermissions.invite);
  const roles = grantableRoles(ctx.role).map((role) => ({ value: role, label: ROLE_LABELS[role] }));
  const [members, invitations] = await Promise.all([listMembers(ctx), inviting ? listInvitations(ctx) : Promise.resolve([])]);
  const me = ctx.actor.id;

  return renderPage(
    c,
    { title: 'Members', tab: membersTab, status, flash },
    <>
      <h1>Members</h1>
      {inviting && (
        <FormCard
          id="invite-heading"
          heading="Invite someone"
          csrf={csrf}
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
              <td>{m.user.email}</td>
              <td>
                <span class="pill">{ROLE_LABELS[m.role]}</span>
              </td>
              <td>{formatTime(m.joinedAt)}</td>
              <td>
                <div class="row-actions">
                  {controls && (
                    <Form csrf={csrf} action={page(m.user.id, 'role')} class="row-actions">
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
                    </Form>
                  )}
                  {controls && (
                    <RowAction csrf={csrf} action={page(m.user.id, 'remove')} label="Remove" describedAs={`Remove ${m.user.email}`} />
                  )}
                  {self && (
                    <Form csrf={csrf} action={page(m.user.id, 'remove')}>
                      <button type="submit" class="danger small">
                        Leave
                      </button>
                    </Form>
                  )}
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
          rows={invitations.map((inv) => (
            <tr>
              <td>{inv.email}</td>
              <td>
                <span class="pill">{ROLE_LABELS[inv.role]}</span>
              </td>
              <td>{inv.status === 'expired' ? 'Expired' : formatTime(inv.expiresAt)}</td>
              <td>
                <RowAction csrf={csrf} action={page('invitations', inv.id, 'revoke')} label="Revoke" describedAs={`Revoke invitation for ${inv.email}`} />
              </td>
            </tr>
          ))}
        />
      )}
    </>,
  );
}

const membersPath = (c: Context<TenantPageEnv>) => tenantPath(c.var.tenantCtx.tenant, 'members');

/** Mounted at /t/:tenant/members. Row actions answer with a flash on the members page, success or refusal. */
export const memberPages = pageWithForm({
  view: memberPermissions.read,
  post: memberPermissions.invite,
  postPath: '/invitations',
  schema: createInvitationBody,
  // Seats full (402), already invited or a member (409), a role above yours (403): said in the flash, input kept.
  page: membersPage,
  submit: async (c, input) => {
    const { invitation, acceptUrl } = await createInvitation(c.var.tenantCtx, input);
    c.executionCtx.waitUntil(deliverOutbox(c.env, { log: c.var.log, tenantId: c.var.tenantCtx.tenant.id }));
    return redirectWithFlash(c, membersPath(c), {
      kind: 'success',
      message: `Invitation sent to ${invitation.email} as ${ROLE_LABELS[invitation.role].toLowerCase()}.`,
      reveal: { label: 'You can also share this link with them:', value: acceptUrl },
    });
  },
})
  .post('/invitations/:id/revoke', requirePermission(memberPermissions.invite), (c) => {
    const { id } = readParams(c, invitationParams);
    return buttonAction(c, membersPath(c), async () => {
      await revokeInvitation(c.var.tenantCtx, id);
      return 'Invitation revoked; its seat is free again.';
    });
  })
  .post('/:userId/role', requirePermission(memberPermissions.manage), async (c) => {
    const { userId } = readParams(c, memberParams);
    const form = await readForm(c, changeRoleBody);
    return buttonAction(c, membersPath(c), async () => {
      if (!form.ok) throw new AppError('validation_failed', 'Choose one of the roles offered.');
      const member = await changeMemberRole(c.var.tenantCtx, userId, form.data);
      return `${member.user.email} is now ${ROLE_LABELS[member.role].toLowerCase()}.`;
    });
  })
  .post('/:userId/remove', requirePermission(memberPermissions.manage, { orSelf: 'userId' }), (c) => {
    const { userId } = readParams(c, memberParams);
    const ctx = c.var.tenantCtx;
    return buttonAction(c, membersPath(c), async () => {
      await removeMember(ctx, userId);
      if (userId === ctx.actor.id) return redirectWithFlash(c, '/', { kind: 'success', message: `You left ${ctx.tenant.name}.` });
      return 'Member removed; their seat is free again.';
    });
  });
