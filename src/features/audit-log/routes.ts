import { describe } from '../../platform/http/route-doc';
import { auditLogResponse } from './outputs';
import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/guard';
import { auditLogQuery } from './inputs';
import { auditPermissions } from './permissions';
import { listAuditLog } from './service';

/** Mounted at /api/t/:tenant/audit-log. */
export const auditLogRoutes = tenantApp().get('/', describe({ summary: 'The audit log, newest first', response: { status: 200, schema: auditLogResponse } }), requirePermission(auditPermissions.read), validate('query', auditLogQuery), async (c) => {
  return c.json(await listAuditLog(c.get('tenantCtx'), c.req.valid('query')));
});
