import { tenantSection } from '../../platform/feature';
import { noticeExpiringApiKeys } from './jobs';
import { apiKeyPages, apiKeysTab } from './pages';
import { apiKeyPermissions } from './permissions';
import { apiKeyRoutes } from './routes';
import { apiKeyResolver } from './service';

/** Besides its section, a way to authenticate (`Authorization: Bearer ssk_…`) and the expiry notices. */
export const apiKeys = tenantSection('api-keys', { api: apiKeyRoutes, pages: apiKeyPages, tab: apiKeysTab, permissions: apiKeyPermissions }, { credentials: [apiKeyResolver], jobs: [noticeExpiringApiKeys] });
