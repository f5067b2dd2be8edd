import { tenantSection } from '../../platform/feature';
import { auditLogPages, auditLogTab } from './pages';
import { auditPermissions } from './permissions';
import { auditLogRoutes } from './routes';

export const auditLog = tenantSection('audit-log', { api: auditLogRoutes, pages: auditLogPages, tab: auditLogTab, permissions: auditPermissions });
