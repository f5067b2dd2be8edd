/**
 * Accepting an invitation: the link from the email. Someone signed out is
 * asked to sign in or sign up first and is brought back here afterwards.
 */
import { Hono, type Context } from 'hono';
import { redirectWithFlash, type Flash } from '../../platform/ui/flash';
import { asFormError, readParams } from '../../platform/ui/form';
import { Form, ROLE_LABELS } from '../../platform/ui/layout';
import { renderPage, type PageOptions } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import { signedInUser, signInPath } from '../../platform/ui/session';
import { tokenParams } from './schema';
import { acceptInvitation, previewInvitation, type InvitationPreview } from './service';

const NO_LONGER_VALID: Record<Exclude<InvitationPreview['status'], 'pending'>, string> = {
  accepted: 'This invitation has already been accepted.',
  revoked: 'This invitation was revoked.',
  expired: 'This invitation has expired. Ask for a new one.',
};

async function invitationPage(c: Context<PageEnv>, token: string, status: PageOptions['status'] = 200, flash?: Flash) {
  const here = `/invitations/${token}`;
  const user = signedInUser(c);
  const invitation = await previewInvitation(c.env, token);
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
export const invitationPages = new Hono<PageEnv>()
  .get('/:token', (c) => invitationPage(c, readParams(c, tokenParams).token))
  .post('/:token', async (c) => {
    const { token } = readParams(c, tokenParams);
    const user = signedInUser(c);
    if (!user) return c.redirect(signInPath(`/invitations/${token}`), 303);
    try {
      const { tenant, role } = await acceptInvitation(c.env, user, token, c.var.requestId);
      return await redirectWithFlash(c, `/t/${tenant.slug}`, { kind: 'success', message: `Welcome to ${tenant.name}! You joined as ${ROLE_LABELS[role].toLowerCase()}.` });
    } catch (err) {
      // Another address (403), already used or expired (409), unknown (404), no seat left (402).
      const refusal = asFormError(err);
      return invitationPage(c, token, refusal.status as PageOptions['status'], { kind: 'error', message: refusal.message });
    }
  });
