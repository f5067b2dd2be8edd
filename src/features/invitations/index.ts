import type { Feature } from '../../platform/feature';
import { invitationPages } from './pages';
import { invitationAcceptRoutes, invitationRoutes } from './routes';

/** Its permission (`members:invite`) is the members feature's: an invitation is a member to be. */
export const invitations: Feature = {
  name: 'invitations',
  api: [{ path: '/invitations', app: invitationAcceptRoutes }],
  tenantApi: [{ path: '/invitations', app: invitationRoutes }],
  pages: [{ path: '/invitations', app: invitationPages, owns: ['/invitations/*'] }],
};
