import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/guard';
import { changeRoleBody, memberParams } from './inputs';
import { memberPermissions } from './permissions';
import { changeMemberRole, listMembersOfRequest, memberListRead, removeMember } from './service';

/** Mounted at /api/t/:tenant/members. */
export const memberRoutes = tenantApp()
  .get('/', requirePermission(memberPermissions.read), memberListRead.batched(), async (c) => {
    return c.json({ members: await listMembersOfRequest(c) });
  })
  .patch('/:userId', requirePermission(memberPermissions.manage), validate('param', memberParams), validate('json', changeRoleBody), async (c) => {
    const member = await changeMemberRole(c.var.tenantCtx, c.req.valid('param').userId, c.req.valid('json'));
    return c.json({ member });
  })
  .delete('/:userId', requirePermission(memberPermissions.manage, { orSelf: 'userId' }), validate('param', memberParams), async (c) => {
    await removeMember(c.var.tenantCtx, c.req.valid('param').userId);
    return c.body(null, 204);
  });
