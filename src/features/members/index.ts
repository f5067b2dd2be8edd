import { tenantSection } from '../../platform/feature';
import { memberPages, membersTab } from './pages';
import { memberPermissions } from './permissions';
import { memberRoutes } from './routes';

export const members = tenantSection('members', { api: memberRoutes, pages: memberPages, tab: membersTab, permissions: memberPermissions });
