import { idempotent } from '../../platform/http/idempotency';
import { describe } from '../../platform/http/route-doc';
import { tenantExportResponse, tenantResponse, tenantWithRoleResponse } from './outputs';
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
export const tenantCreationRoutes = publicApp().post('/', describe({ summary: 'Create an organisation (you become its owner)', response: { status: 201, schema: tenantResponse } }), usersOnly(), validate('json', createTenantBody), idempotent(), async (c) => {
  const user = requireUser(c);
  await refuseUnverifiedSecondTenant(requestContext(c), user);
  const tenant = await createTenant(requestContext(c), { name: c.req.valid('json').name, ownerId: user.userId });
  return c.json({ tenant }, 201);
});

/** Mounted at /api/t/:tenant, behind the tenancy middleware. */
export const tenantRoutes = tenantApp()
  .get('/', describe({ summary: 'The organisation and your role in it', response: { status: 200, schema: tenantWithRoleResponse } }), requirePermission(tenantPermissions.read), (c) => {
    const { tenant, role } = c.get('tenantCtx');
    return c.json({ tenant, role });
  })
  .patch('/', describe({ summary: 'Rename the organisation or change its settings', response: { status: 200, schema: tenantResponse } }), requirePermission(tenantPermissions.update), validate('json', updateTenantBody), async (c) => {
    return c.json({ tenant: await updateTenant(c.get('tenantCtx'), c.req.valid('json')) });
  })
  .delete('/', describe({ summary: 'Delete the organisation (cancels its subscription first)', errors: [503], response: { status: 204 } }), requirePermission(tenantPermissions.delete), async (c) => {
    await deleteTenant(c.get('tenantCtx'));
    return c.body(null, 204);
  })
  .get('/export', describe({ summary: "All the organisation's data, without secrets", response: { status: 200, schema: tenantExportResponse } }), requirePermission(tenantPermissions.export), async (c) => {
    const data = await exportTenant(c.get('tenantCtx'));
    c.header('Content-Disposition', `attachment; filename="${c.get('tenantCtx').tenant.slug}-export.json"`);
    return c.json(data);
  });
