import { pageQuery, toPage } from '../../platform/pagination';
import { describe } from '../../platform/http/route-doc';
import { memberListResponse, memberResponse } from './outputs';
import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/guard';
import { changeRoleBody, memberParams } from './inputs';
import { memberPermissions } from './permissions';
import { changeMemberRole, listMembersOfRequest, memberListRead, removeMember } from './service';

/** Mounted at /api/t/:tenant/members. */
export const memberRoutes = tenantApp()
  .get('/', describe({ summary: 'Members and their roles', response: { status: 200, schema: memberListResponse } }), requirePermission(memberPermissions.read), validate('query', pageQuery), memberListRead.batched(), async (c) => {
    const page = c.req.valid('query');
    const { items, nextCursor } = toPage(await listMembersOfRequest(c), page, (m) => ({ at: m.joinedAt, id: m.user.id }));
    return c.json({ members: items, nextCursor });
  })
  .patch('/:userId', describe({ summary: "Change a member's role", errors: [409], response: { status: 200, schema: memberResponse } }), requirePermission(memberPermissions.manage), validate('param', memberParams), validate('json', changeRoleBody), async (c) => {
    const member = await changeMemberRole(c.get('tenantCtx'), c.req.valid('param').userId, c.req.valid('json'));
    return c.json({ member });
  })
  .delete('/:userId', describe({ summary: 'Remove a member (or leave)', errors: [409], response: { status: 204 } }), requirePermission(memberPermissions.manage, { orSelf: 'userId' }), validate('param', memberParams), async (c) => {
    await removeMember(c.get('tenantCtx'), c.req.valid('param').userId);
    return c.body(null, 204);
  });
