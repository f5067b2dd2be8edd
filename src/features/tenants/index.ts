import type { Feature } from '../../platform/feature';
import { settingsPages, settingsTab, startPages } from './pages';
import { tenantPermissions } from './permissions';
import { tenantCreationRoutes, tenantRoutes } from './routes';

export const tenants: Feature = {
  name: 'tenants',
  api: [{ path: '/tenants', app: tenantCreationRoutes }],
  tenantApi: [{ path: '/', app: tenantRoutes }],
  pages: [{ path: '/', app: startPages, owns: ['/', '/tenants/*'] }],
  tenantPages: [{ path: '/settings', app: settingsPages }],
  tab: settingsTab,
  permissions: Object.values(tenantPermissions),
};
