import type { Feature } from '../../platform/feature';
import { opsRoutes } from './routes';

export const ops: Feature = { name: 'ops', routes: [{ path: '/ops', app: opsRoutes }] };
