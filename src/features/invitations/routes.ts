import { Hono } from 'hono';
import { requireUser, signedInUser } from '../../platform/auth/middleware';
import { deliverOutbox } from '../../platform/email/outbox';
import type { AppEnv } from '../../platform/env';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/permissions';
import { createInvitationBody, invitationParams, tokenParams } from './schema';
import { acceptInvitation, createInvitation, listInvitations, revokeInvitation } from './service';

/** Mounted at /api/t/:tenant/invitations. */
export const invitationRoutes = new Hono<AppEnv>()
  .get('/', requirePermission('members:invite'), async (c) => {
    return c.json({ invitations: await listInvitations(c.var.tenantCtx) });
  })
  .post('/', requirePermission('members:invite'), validate('json', createInvitationBody), async (c) => {
    const result = await createInvitation(c.var.tenantCtx, c.env, c.req.valid('json'));
    c.executionCtx.waitUntil(deliverOutbox(c.env));
    return c.json(result, 201);
  })
  .delete('/:id', requirePermission('members:invite'), validate('param', invitationParams), async (c) => {
    await revokeInvitation(c.var.tenantCtx, c.env, c.req.valid('param').id);
    return c.body(null, 204);
  });

/** Mounted at /api/invitations: the invitee is not a member yet, so this is not tenant-scoped. */
export const invitationAcceptRoutes = new Hono<AppEnv>().post('/:token/accept', signedInUser(), validate('param', tokenParams), async (c) => {
  const user = requireUser(c);
  const result = await acceptInvitation(c.env, user, c.req.valid('param').token, c.var.requestId);
  return c.json(result);
});
