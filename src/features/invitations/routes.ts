import { requireUser, usersOnly, verifiedEmailOnly } from '../../platform/auth/middleware';
import { deliverOutbox } from '../../platform/email/outbox';
import { publicApp, tenantApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/guard';
import { memberPermissions } from '../members/permissions';
import { createInvitationBody, invitationParams, tokenParams } from './inputs';
import { acceptInvitation, createInvitation, invitationListRead, listInvitationsOfRequest, revokeInvitation } from './service';

/** Mounted at /api/t/:tenant/invitations. */
export const invitationRoutes = tenantApp()
  .get('/', requirePermission(memberPermissions.invite), invitationListRead.batched(), async (c) => {
    return c.json({ invitations: await listInvitationsOfRequest(c) });
  })
  .post('/', requirePermission(memberPermissions.invite), verifiedEmailOnly(), validate('json', createInvitationBody), async (c) => {
    const result = await createInvitation(c.var.tenantCtx, c.req.valid('json'));
    c.executionCtx.waitUntil(deliverOutbox(c.env, { log: c.var.log, tenantId: c.var.tenantCtx.tenant.id }));
    return c.json(result, 201);
  })
  .delete('/:id', requirePermission(memberPermissions.invite), validate('param', invitationParams), async (c) => {
    await revokeInvitation(c.var.tenantCtx, c.req.valid('param').id);
    return c.body(null, 204);
  });

/** Mounted at /api/invitations: the invitee is not a member yet, so this is not tenant-scoped. */
export const invitationAcceptRoutes = publicApp().post('/:token/accept', usersOnly(), validate('param', tokenParams), async (c) => {
  const result = await acceptInvitation(requestContext(c), requireUser(c), c.req.valid('param').token);
  return c.json(result);
});
