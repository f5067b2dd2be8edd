import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { usageByDay } from '../../platform/observe/meter';
import { requirePermission } from '../../platform/tenancy/guard';
import { usageQuery } from './inputs';
import { usagePermissions } from './permissions';

/** Mounted at /api/t/:tenant/usage: the tenant's own metered usage per day (owners and admins). */
export const usageRoutes = tenantApp().get('/', requirePermission(usagePermissions.read), validate('query', usageQuery), async (c) => {
  const ctx = c.var.tenantCtx;
  return c.json({ days: await usageByDay(ctx.env, ctx.tenant.id, c.req.valid('query').days) });
});
