import type { Feature } from '../../platform/feature';
import { dashboardPages, dashboardTab } from './pages';

export const dashboard: Feature = {
  name: 'dashboard',
  tenantPages: [{ path: '/', app: dashboardPages }],
  tab: dashboardTab,
};
