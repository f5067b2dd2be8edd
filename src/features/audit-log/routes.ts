import { Hono } from 'hono';
import type { AppEnv } from '../../platform/env';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/permissions';
import { auditLogQuery } from './schema';
import { listAuditLog } from './service';

/** Mounted at /api/t/:tenant/audit-log. */
export const auditLogRoutes = new Hono<AppEnv>().get('/', requirePermission('audit:read'), validate('query', auditLogQuery), async (c) => {
  return c.json(await listAuditLog(c.var.tenantCtx, c.req.valid('query')));
});
