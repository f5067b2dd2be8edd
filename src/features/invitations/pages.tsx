/**
 * Accepting an invitation: the link from the email. Someone signed out is
 * asked to sign in or sign up first and is brought back here afterwards.
 */
import type { Context } from 'hono';
import type { FC } from 'hono/jsx';
import { pageApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { redirectWithFlash } from '../../platform/ui/flash';
import { formAction, readParams } from '../../platform/ui/form';
import { Form, ROLE_LABELS } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import { currentUser, signInPath } from '../../platform/ui/page-session';
import { tenantPath } from '../../platform/ui/paths';
import { acceptForm, tokenParams } from './inputs';
import { acceptInvitation, previewInvitation, type InvitationPreview } from './service';

/** A link that no longer works says why, and where to go instead. */
const NO_LONGER_VALID: Record<Exclude<InvitationPreview['status'], 'pending'>, string> = {
  accepted: 'This invitation has already been used.',
  revoked: 'This invitation was withdrawn by the organisation.',
  expired: 'This invitation has expired.',
};

const NextStep: FC<{ status: Exclude<InvitationPreview['status'], 'pending'>; signedIn: boolean; tenantName: string; here: string }> = (p) => (
  <>
    <p data-testid="invitation-state">{NO_LONGER_VALID[p.status]}</p>
    {p.status === 'accepted' ? (
      <p class="actions">
        {p.signedIn ? (
          <a class="button" href="/">
            Go to your organisations
          </a>
        ) : (
          <a class="button" href={signInPath('/')}>
            Sign in to {p.tenantName}
          </a>
        )}
      </p>
    ) : (
      <>
        <p>Ask the person who invited you to send a new invitation: from the Members page of {p.tenantName}, they can resend it with a fresh link.</p>
        <p class="actions">
          <a class="button secondary" href={p.signedIn ? '/' : signInPath(p.here)}>
            {p.signedIn ? 'Go to your organisations' : 'Sign in'}
          </a>
        </p>
      </>
    )}
  </>
);

async function invitationPage(c: Context<PageEnv>, token: string) {
  const here = `/invitations/${token}`;
  const user = currentUser(c);
  const [invitation, viewer] = await Promise.all([previewInvitation(requestContext(c), token), c.get('viewer')()]);
  const wrongAccount = viewer !== null && viewer.user.email !== invitation.email;
  return renderPage(
    c,
    { title: 'Your invitation', narrow: true },
    <div class="card">
      <h1>Join {invitation.tenantName}</h1>
      <p>
        You are invited to <strong>{invitation.tenantName}</strong> as <strong>{ROLE_LABELS[invitation.role].toLowerCase()}</strong>. The invitation was
        sent to <strong>{invitation.email}</strong>.
      </p>
      {invitation.status !== 'pending' ? (
        <NextStep status={invitation.status} signedIn={Boolean(user)} tenantName={invitation.tenantName} here={here} />
      ) : viewer && wrongAccount ? (
        // Told before any button: accepting as someone else would only be refused.
        <div class="banner banner-warn" role="alert" data-testid="wrong-account">
          <p>
            You are signed in as <strong>{viewer.user.email}</strong>, but this invitation is for <strong>{invitation.email}</strong>.
          </p>
          <p>Sign out, then open this link again and sign in or create an account as {invitation.email}.</p>
          <Form csrf={c.get('csrfToken')} action="/signout" label="Sign out">
            <input type="hidden" name="next" value={here} />
            <button type="submit" class="secondary">
              Sign out
            </button>
          </Form>
        </div>
      ) : viewer ? (
        <>
          <p>
            Accept the invitation as <strong>{viewer.user.email}</strong>.
          </p>
          <Form csrf={c.get('csrfToken')} action={here} label="Accept invitation">
            <button type="submit">Accept invitation</button>
          </Form>
        </>
      ) : (
        <>
          <p>To join, sign in or create an account as {invitation.email}.</p>
          <p class="actions">
            <a class="button" href={`/signup?${new URLSearchParams({ next: here })}`}>
              Create an account
            </a>
            <a class="button secondary" href={signInPath(here)}>
              Sign in
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
    // Another address (403), already used or expired (409), unknown (404), no seat left (402): said on the invitation page.
    return formAction(c, acceptForm, {
      submit: async () => {
        const { tenant, role } = await acceptInvitation(requestContext(c), user, token);
        return redirectWithFlash(c, tenantPath(tenant), { kind: 'success', message: `Welcome to ${tenant.name}! You joined as ${ROLE_LABELS[role].toLowerCase()}.` });
      },
    });
  });
