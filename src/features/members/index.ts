import type { Feature } from '../../platform/feature';
import { memberPages, membersTab } from './pages';
import { memberPermissions } from './permissions';
import { memberRoutes } from './routes';

export const members: Feature = {
  name: 'members',
  tenantApi: [{ path: '/members', app: memberRoutes }],
  tenantPages: [{ path: '/members', app: memberPages }],
  tab: membersTab,
  permissions: Object.values(memberPermissions),
};
