import type { Feature } from '../../platform/feature';
import { auditLogPages, auditLogTab } from './pages';
import { auditPermissions } from './permissions';
import { auditLogRoutes } from './routes';

export const auditLog: Feature = {
  name: 'audit-log',
  tenantApi: [{ path: '/audit-log', app: auditLogRoutes }],
  tenantPages: [{ path: '/audit-log', app: auditLogPages }],
  tab: auditLogTab,
  permissions: Object.values(auditPermissions),
};
