import type { Feature } from '../../platform/feature';
import { accountPages } from './pages';
import { accountRoutes } from './routes';
import { resealTotpSecrets } from './secret-seal';

/** Account security: verification, reset, password, sessions, two-factor, the security log (issue 11). */
export const account: Feature = {
  name: 'account',
  api: [{ path: '/', app: accountRoutes }],
  pages: [{ path: '/', app: accountPages, owns: ['/account', '/account/*', '/forgot-password', '/reset-password', '/verify-email'] }],
  jobs: [resealTotpSecrets],
};
