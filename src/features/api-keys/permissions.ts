import { permission } from '../../platform/tenancy/policy';

export const apiKeyPermissions = {
  manage: permission('api_keys:manage', 'admin', 'manage API keys'),
};
