import type { Feature } from '../../platform/feature';
import { apiKeyPages, apiKeysTab } from './pages';
import { apiKeyPermissions } from './permissions';
import { apiKeyRoutes } from './routes';
import { apiKeyResolver } from './service';

export const apiKeys: Feature = {
  name: 'api-keys',
  tenantApi: [{ path: '/api-keys', app: apiKeyRoutes }],
  tenantPages: [{ path: '/api-keys', app: apiKeyPages }],
  tab: apiKeysTab,
  permissions: Object.values(apiKeyPermissions),
  credentials: [apiKeyResolver],
};
