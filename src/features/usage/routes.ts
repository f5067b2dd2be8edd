import { usageDaysOut } from '../../platform/http/outputs';
import { describe } from '../../platform/http/route-doc';
import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { usageByDay } from '../../platform/observe/meter';
import { requirePermission } from '../../platform/tenancy/guard';
import { usageQuery } from './inputs';
import { usagePermissions } from './permissions';

/** Mounted at /api/t/:tenant/usage: the tenant's own metered usage per day (owners and admins). */
export const usageRoutes = tenantApp().get('/', describe({ summary: "The organisation's metered usage per day", response: { status: 200, schema: usageDaysOut } }), requirePermission(usagePermissions.read), validate('query', usageQuery), async (c) => {
  const ctx = c.get('tenantCtx');
  return c.json({ days: await usageByDay(ctx.env, ctx.tenant.id, c.req.valid('query').days) });
});
