import { permission } from '../../platform/tenancy/policy';

export const tenantPermissions = {
  read: permission('tenant:read', 'member'),
  update: permission('tenant:update', 'admin'),
  export: permission('tenant:export', 'owner'),
  delete: permission('tenant:delete', 'owner'),
};
