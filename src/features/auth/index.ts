import type { Feature } from '../../platform/feature';
import { authPages } from './pages';
import { authRoutes } from './routes';

export const auth: Feature = {
  name: 'auth',
  api: [{ path: '/', app: authRoutes }],
  pages: [{ path: '/', app: authPages, owns: ['/signin', '/signin/mfa', '/signup', '/signout'] }],
};
