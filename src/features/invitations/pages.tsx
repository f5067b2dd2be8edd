/**
 * Accepting an invitation: the link from the email. Someone signed out is
 * asked to sign in or sign up first and is brought back here afterwards.
 */
import type { Context } from 'hono';
import { pageApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { redirectWithFlash, type Flash } from '../../platform/ui/flash';
import { formAction, readParams, type PageStatus } from '../../platform/ui/form';
import { Form, ROLE_LABELS } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import { currentUser, signInPath } from '../../platform/ui/page-session';
import { tenantPath } from '../../platform/ui/paths';
import { acceptForm, tokenParams } from './inputs';
import { acceptInvitation, previewInvitation, type InvitationPreview } from './service';

const NO_LONGER_VALID: Record<Exclude<InvitationPreview['status'], 'pending'>, string> = {
  accepted: 'This invitation has already been accepted.',
  revoked: 'This invitation was revoked.',
  expired: 'This invitation has expired. Ask for a new one.',
};

async function invitationPage(c: Context<PageEnv>, token: string, status: PageStatus = 200, flash?: Flash) {
  const here = `/invitations/${token}`;
  const user = currentUser(c);
  const invitation = await previewInvitation(requestContext(c), token);
  return renderPage(
    c,
    { title: 'Your invitation', narrow: true, status, flash },
    <div class="card">
      <h1>Join {invitation.tenantName}</h1>
      <p>
        You are invited to <strong>{invitation.tenantName}</strong> as <strong>{ROLE_LABELS[invitation.role].toLowerCase()}</strong>. The invitation was
        sent to <strong>{invitation.email}</strong>.
      </p>
      {invitation.status !== 'pending' ? (
        <p class="muted">{NO_LONGER_VALID[invitation.status]}</p>
      ) : user ? (
        <>
          <p>
            Accept the invitation as <strong>{user.email}</strong>. It must be the address the invitation was sent to.
          </p>
          <Form csrf={c.var.csrfToken} action={here} label="Accept invitation">
            <button type="submit">Accept invitation</button>
          </Form>
          <p class="actions muted">Not you? Sign out above, then open this link again.</p>
        </>
      ) : (
        <>
          <p>To join, sign in or create an account with the email address the invitation was sent to. You will come back here to accept it.</p>
          <p class="actions">
            <a class="button" href={signInPath(here)}>
              Sign in
            </a>
            <a class="button secondary" href={`/signup?${new URLSearchParams({ next: here })}`}>
              Create an account
            </a>
          </p>
        </>
      )}
    </div>,
  );
}

/** Mounted at /invitations. */
export const invitationPages = pageApp()
  .get('/:token', (c) => invitationPage(c, readParams(c, tokenParams).token))
  .post('/:token', async (c) => {
    const { token } = readParams(c, tokenParams);
    const user = currentUser(c);
    if (!user) return c.redirect(signInPath(`/invitations/${token}`), 303);
    // Another address (403), already used or expired (409), unknown (404), no seat left (402).
    return formAction(c, acceptForm, {
      submit: async () => {
        const { tenant, role } = await acceptInvitation(requestContext(c), user, token);
        return redirectWithFlash(c, tenantPath(tenant), { kind: 'success', message: `Welcome to ${tenant.name}! You joined as ${ROLE_LABELS[role].toLowerCase()}.` });
      },
      render: (c, _state, status, flash) => invitationPage(c, token, status, flash),
    });
  });
