import { requireUser, usersOnly } from '../../platform/auth/middleware';
import { publicApp, tenantApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/guard';
import { createTenantBody, updateTenantBody } from './inputs';
import { deleteTenant, exportTenant } from './lifecycle';
import { tenantPermissions } from './permissions';
import { createTenant, refuseUnverifiedSecondTenant, updateTenant } from './service';

/** POST /api/tenants: not under a tenant, so it is not tenant-scoped. */
export const tenantCreationRoutes = publicApp().post('/', usersOnly(), validate('json', createTenantBody), async (c) => {
  const user = requireUser(c);
  await refuseUnverifiedSecondTenant(requestContext(c), user);
  const tenant = await createTenant(requestContext(c), { name: c.req.valid('json').name, ownerId: user.userId });
  return c.json({ tenant }, 201);
});

/** Mounted at /api/t/:tenant, behind the tenancy middleware. */
export const tenantRoutes = tenantApp()
  .get('/', requirePermission(tenantPermissions.read), (c) => {
    const { tenant, role } = c.var.tenantCtx;
    return c.json({ tenant, role });
  })
  .patch('/', requirePermission(tenantPermissions.update), validate('json', updateTenantBody), async (c) => {
    return c.json({ tenant: await updateTenant(c.var.tenantCtx, c.req.valid('json')) });
  })
  .delete('/', requirePermission(tenantPermissions.delete), async (c) => {
    await deleteTenant(c.var.tenantCtx);
    return c.body(null, 204);
  })
  .get('/export', requirePermission(tenantPermissions.export), async (c) => {
    const data = await exportTenant(c.var.tenantCtx);
    c.header('Content-Disposition', `attachment; filename="${c.var.tenantCtx.tenant.slug}-export.json"`);
    return c.json(data);
  });
