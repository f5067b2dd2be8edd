import type { Feature } from '../../platform/feature';
import { healthRoutes } from './routes';

export const health: Feature = { name: 'health', routes: [{ path: '/', app: healthRoutes }] };
