import type { Feature } from '../../platform/feature';
import { CONSOLE, opsPages } from './pages';
import { opsRoutes } from './routes';

/** Operators: the JSON API under /ops and the console's pages under /ops/console. */
export const ops: Feature = {
  name: 'ops',
  routes: [{ path: '/ops', app: opsRoutes }],
  pages: [{ path: CONSOLE, app: opsPages, owns: [CONSOLE, `${CONSOLE}/*`] }],
};
