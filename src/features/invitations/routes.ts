import { pageQuery, toPage } from '../../platform/pagination';
import { idempotent } from '../../platform/http/idempotency';
import { describe } from '../../platform/http/route-doc';
import { acceptedResponse, invitationCreatedResponse, invitationListResponse } from './outputs';
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
  .get('/', describe({ summary: 'Pending invitations', response: { status: 200, schema: invitationListResponse } }), requirePermission(memberPermissions.invite), validate('query', pageQuery), invitationListRead.batched(), async (c) => {
    const page = c.req.valid('query');
    const { items, nextCursor } = toPage(await listInvitationsOfRequest(c), page, (i) => ({ at: i.createdAt, id: i.id }));
    return c.json({ invitations: items, nextCursor });
  })
  .post('/', describe({ summary: 'Invite someone (takes a seat)', errors: [402, 409], response: { status: 201, schema: invitationCreatedResponse } }), requirePermission(memberPermissions.invite), verifiedEmailOnly(), validate('json', createInvitationBody), idempotent(), async (c) => {
    const result = await createInvitation(c.get('tenantCtx'), c.req.valid('json'));
    c.executionCtx.waitUntil(deliverOutbox(c.env, { log: c.get('log'), tenantId: c.get('tenantCtx').tenant.id }));
    return c.json(result, 201);
  })
  .delete('/:id', describe({ summary: 'Revoke a pending invitation', errors: [409], response: { status: 204 } }), requirePermission(memberPermissions.invite), validate('param', invitationParams), async (c) => {
    await revokeInvitation(c.get('tenantCtx'), c.req.valid('param').id);
    return c.body(null, 204);
  });

/** Mounted at /api/invitations: the invitee is not a member yet, so this is not tenant-scoped. */
export const invitationAcceptRoutes = publicApp().post('/:token/accept', describe({ summary: 'Accept an invitation, signed in as the invited address', errors: [402, 404, 409], response: { status: 200, schema: acceptedResponse } }), usersOnly(), validate('param', tokenParams), async (c) => {
  const result = await acceptInvitation(requestContext(c), requireUser(c), c.req.valid('param').token);
  return c.json(result);
});
