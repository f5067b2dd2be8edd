import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/guard';
import { auditLogQuery } from './inputs';
import { auditPermissions } from './permissions';
import { listAuditLog } from './service';

/** Mounted at /api/t/:tenant/audit-log. */
export const auditLogRoutes = tenantApp().get('/', requirePermission(auditPermissions.read), validate('query', auditLogQuery), async (c) => {
  return c.json(await listAuditLog(c.var.tenantCtx, c.req.valid('query')));
});
