import type { Feature } from '../../platform/feature';
import { projectPages, projectsTab } from './pages';
import { projectPermissions } from './permissions';
import { projectRoutes } from './routes';

export const projects: Feature = {
  name: 'projects',
  tenantApi: [{ path: '/projects', app: projectRoutes }],
  tenantPages: [{ path: '/projects', app: projectPages }],
  tab: projectsTab,
  permissions: Object.values(projectPermissions),
};
