import { tenantSection } from '../../platform/feature';
import { projectPages, projectsTab } from './pages';
import { projectPermissions } from './permissions';
import { projectRoutes } from './routes';

export const projects = tenantSection('projects', { api: projectRoutes, pages: projectPages, tab: projectsTab, permissions: projectPermissions });
