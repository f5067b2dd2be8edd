import { Hono } from 'hono';
import type { AppEnv } from '../../platform/env';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/permissions';
import { changeRoleBody, memberParams } from './schema';
import { changeMemberRole, listMembers, removeMember } from './service';

/** Mounted at /api/t/:tenant/members. */
export const memberRoutes = new Hono<AppEnv>()
  .get('/', requirePermission('members:read'), async (c) => {
    return c.json({ members: await listMembers(c.var.tenantCtx) });
  })
  .patch('/:userId', requirePermission('members:manage'), validate('param', memberParams), validate('json', changeRoleBody), async (c) => {
    const member = await changeMemberRole(c.var.tenantCtx, c.env, c.req.valid('param').userId, c.req.valid('json'));
    return c.json({ member });
  })
  .delete('/:userId', requirePermission('members:manage', { orSelf: 'userId' }), validate('param', memberParams), async (c) => {
    await removeMember(c.var.tenantCtx, c.env, c.req.valid('param').userId);
    return c.body(null, 204);
  });
