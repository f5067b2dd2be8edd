/**
 * Members and invitations on one page: change roles, remove, invite, revoke.
 * Role pickers offer only what the viewer may grant, and rows the viewer may
 * not touch (someone above their role) have no controls; the services refuse
 * all of it anyway.
 */
import { Hono, type Context } from 'hono';
import { deliverOutbox } from '../../platform/email/outbox';
import { AppError } from '../../platform/http/errors';
import { redirectWithFlash, type Flash } from '../../platform/ui/flash';
import { asFormError, EMPTY_FORM, Field, FormErrors, readForm, readParams, SelectField, type FormState } from '../../platform/ui/form';
import { DataTable, Form, formatTime, ROLE_LABELS, RowAction } from '../../platform/ui/layout';
import { renderPage, type PageOptions } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import { can, canGrant, grantableRoles, requirePermission } from '../../platform/tenancy/permissions';
import { createInvitationBody, invitationParams } from '../invitations/schema';
import { createInvitation, listInvitations, revokeInvitation } from '../invitations/service';
import { changeRoleBody, memberParams } from './schema';
import { changeMemberRole, listMembers, removeMember } from './service';

async function membersPage(c: Context<PageEnv>, invite: FormState, status: PageOptions['status'] = 200, flash?: Flash) {
  const ctx = c.var.tenantCtx;
  const base = `/t/${ctx.tenant.slug}/members`;
  const csrf = c.var.csrfToken;
  const manage = can(ctx.role, 'members:manage');
  const inviting = can(ctx.role, 'members:invite');
  const roles = grantableRoles(ctx.role).map((role) => ({ value: role, label: ROLE_LABELS[role] }));
  const [members, invitations] = await Promise.all([listMembers(ctx), inviting ? listInvitations(ctx) : Promise.resolve([])]);
  const me = ctx.actor.id;

  return renderPage(
    c,
    { title: 'Members', tab: 'members', status, flash },
    <>
      <h1>Members</h1>
      {inviting && (
        <section class="card" aria-labelledby="invite-heading">
          <h2 id="invite-heading">Invite someone</h2>
          <Form csrf={csrf} action={`${base}/invitations`} class="inline-form" label="Invite someone">
            <FormErrors state={invite} />
            <Field name="email" label="Email" type="email" state={invite} id="invite-email" required />
            <SelectField name="role" label="Role" state={invite} id="invite-role" options={roles} initial="member" />
            <button type="submit">Send invitation</button>
          </Form>
          <p class="hint">Each member and each pending invitation takes a seat.</p>
        </section>
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
                    <Form csrf={csrf} action={`${base}/${encodeURIComponent(m.user.id)}/role`} class="row-actions">
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
                    <RowAction csrf={csrf} action={`${base}/${encodeURIComponent(m.user.id)}/remove`} label="Remove" describedAs={`Remove ${m.user.email}`} />
                  )}
                  {self && (
                    <Form csrf={csrf} action={`${base}/${encodeURIComponent(m.user.id)}/remove`}>
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
                <RowAction csrf={csrf} action={`${base}/invitations/${encodeURIComponent(inv.id)}/revoke`} label="Revoke" describedAs={`Revoke invitation for ${inv.email}`} />
              </td>
            </tr>
          ))}
        />
      )}
    </>,
  );
}

/** Row actions answer with a flash on the members page, success or refusal. */
async function afterRowAction(c: Context<PageEnv>, action: () => Promise<string>): Promise<Response> {
  const base = `/t/${c.var.tenantCtx.tenant.slug}/members`;
  try {
    return await redirectWithFlash(c, base, { kind: 'success', message: await action() });
  } catch (err) {
    return redirectWithFlash(c, base, { kind: 'error', message: asFormError(err).message });
  }
}

/** Mounted at /t/:tenant/members. */
export const memberPages = new Hono<PageEnv>()
  .get('/', requirePermission('members:read'), (c) => membersPage(c, EMPTY_FORM))
  .post('/invitations', requirePermission('members:invite'), async (c) => {
    const form = await readForm(c, createInvitationBody);
    if (!form.ok) return membersPage(c, form.state, 400);
    try {
      const { invitation, acceptUrl } = await createInvitation(c.var.tenantCtx, c.env, form.data);
      c.executionCtx.waitUntil(deliverOutbox(c.env));
      return await redirectWithFlash(c, `/t/${c.var.tenantCtx.tenant.slug}/members`, {
        kind: 'success',
        message: `Invitation sent to ${invitation.email} as ${ROLE_LABELS[invitation.role].toLowerCase()}.`,
        reveal: { label: 'You can also share this link with them:', value: acceptUrl },
      });
    } catch (err) {
      // Seats full (402), already invited or a member (409), a role above yours (403): said in the flash, input kept.
      const refusal = asFormError(err);
      return membersPage(c, form.state, refusal.status as PageOptions['status'], { kind: 'error', message: refusal.message });
    }
  })
  .post('/invitations/:id/revoke', requirePermission('members:invite'), (c) => {
    const { id } = readParams(c, invitationParams);
    return afterRowAction(c, async () => {
      await revokeInvitation(c.var.tenantCtx, c.env, id);
      return 'Invitation revoked; its seat is free again.';
    });
  })
  .post('/:userId/role', requirePermission('members:manage'), async (c) => {
    const { userId } = readParams(c, memberParams);
    const form = await readForm(c, changeRoleBody);
    return afterRowAction(c, async () => {
      if (!form.ok) throw new AppError('validation_failed', 'Choose one of the roles offered.');
      const member = await changeMemberRole(c.var.tenantCtx, c.env, userId, form.data);
      return `${member.user.email} is now ${ROLE_LABELS[member.role].toLowerCase()}.`;
    });
  })
  .post('/:userId/remove', requirePermission('members:manage', { orSelf: 'userId' }), async (c) => {
    const { userId } = readParams(c, memberParams);
    const ctx = c.var.tenantCtx;
    if (userId === ctx.actor.id) {
      try {
        await removeMember(ctx, c.env, userId);
        return await redirectWithFlash(c, '/', { kind: 'success', message: `You left ${ctx.tenant.name}.` });
      } catch (err) {
        return redirectWithFlash(c, `/t/${ctx.tenant.slug}/members`, { kind: 'error', message: asFormError(err).message });
      }
    }
    return afterRowAction(c, async () => {
      await removeMember(ctx, c.env, userId);
      return 'Member removed; their seat is free again.';
    });
  });
