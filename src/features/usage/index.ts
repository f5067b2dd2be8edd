import type { Feature } from '../../platform/feature';
import { usagePermissions } from './permissions';
import { usageRoutes } from './routes';

/** A tenant's metered usage per day (platform/observe/meter.ts), for its owners and admins. */
export const usage: Feature = { name: 'usage', tenantApi: [{ path: '/usage', app: usageRoutes }], permissions: Object.values(usagePermissions) };
