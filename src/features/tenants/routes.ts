import { Hono } from 'hono';
import { requireUser, signedInUser } from '../../platform/auth/middleware';
import type { AppEnv } from '../../platform/env';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/permissions';
import { createTenantBody, renameTenantBody } from './schema';
import { deleteTenant, exportTenant } from './lifecycle';
import { createTenant, renameTenant } from './service';

/** POST /api/tenants: not under a tenant, so it is not tenant-scoped. */
export const tenantCreationRoutes = new Hono<AppEnv>().post('/', signedInUser(), validate('json', createTenantBody), async (c) => {
  const user = requireUser(c);
  const { name } = c.req.valid('json');
  const tenant = await createTenant(c.env, { name, ownerId: user.userId, requestId: c.var.requestId });
  return c.json({ tenant }, 201);
});

/** Mounted at /api/t/:tenant, behind the tenancy middleware. */
export const tenantRoutes = new Hono<AppEnv>()
  .get('/', requirePermission('tenant:read'), (c) => {
    const { tenant, role } = c.var.tenantCtx;
    return c.json({ tenant, role });
  })
  .patch('/', requirePermission('tenant:update'), validate('json', renameTenantBody), async (c) => {
    return c.json({ tenant: await renameTenant(c.var.tenantCtx, c.req.valid('json')) });
  })
  .delete('/', requirePermission('tenant:delete'), async (c) => {
    await deleteTenant(c.var.tenantCtx, c.env);
    return c.body(null, 204);
  })
  .get('/export', requirePermission('tenant:export'), async (c) => {
    const data = await exportTenant(c.var.tenantCtx, c.env);
    c.header('Content-Disposition', `attachment; filename="${c.var.tenantCtx.tenant.slug}-export.json"`);
    return c.json(data);
  });
