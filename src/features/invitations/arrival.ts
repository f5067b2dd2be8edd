/**
 * Someone who arrives from an invitation link and creates an account: the
 * sign-up page fills in (and fixes) the invited address, and the new
 * account joins the organisation at once, with no second click on Accept.
 */
import type { Context } from 'hono';
import { AppError } from '../../platform/errors';
import { requestContext } from '../../platform/http/request-context';
import { redirectWithFlash } from '../../platform/ui/flash';
import { ROLE_NOUNS } from '../../platform/ui/layout';
import type { PageEnv } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import { tokenParams } from './inputs';
import { acceptInvitation, previewInvitation } from './service';

/** The invitation token in a `next` path (`/invitations/<token>`), if it is one. */
function tokenIn(next: string | undefined): string | undefined {
  const match = /^\/invitations\/([^/?#]+)$/.exec(next ?? '');
  const parsed = tokenParams.safeParse({ token: match?.[1] });
  return parsed.success ? parsed.data.token : undefined;
}

/** The address a pending invitation was sent to, and where it leads; nothing for any other `next`. */
export async function invitedAddress(c: Context<PageEnv>, next: string | undefined): Promise<{ email: string; tenantName: string } | undefined> {
  const token = tokenIn(next);
  if (!token) return undefined;
  const invitation = await previewInvitation(requestContext(c), token).catch(() => undefined);
  return invitation?.status === 'pending' ? { email: invitation.email, tenantName: invitation.tenantName } : undefined;
}

/**
 * Accepts the invitation `next` points at for the account just created, and
 * answers with the way into the organisation; when it cannot be accepted,
 * back to the invitation page, which says why and what to do. Null when
 * `next` is no invitation.
 */
export async function joinOnArrival(c: Context<PageEnv>, user: { id: string; email: string }, next: string | undefined): Promise<Response | null> {
  const token = tokenIn(next);
  if (!token || !next) return null;
  try {
    const { tenant, role } = await acceptInvitation(requestContext(c), { userId: user.id, email: user.email }, token);
    return redirectWithFlash(c, tenantPath(tenant), { kind: 'success', message: `Welcome to ${tenant.name}! You joined as ${ROLE_NOUNS[role].replace(/^an? /, '')}.` });
  } catch (err) {
    if (!(err instanceof AppError) || err.code === 'internal') throw err;
    return redirectWithFlash(c, next, { kind: 'error', message: `Your account is ready, but the invitation could not be accepted: ${err.message}.` });
  }
}
