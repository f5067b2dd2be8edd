import { permission } from '../../platform/tenancy/policy';

export const usagePermissions = {
  read: permission('usage:read', 'admin'),
};
