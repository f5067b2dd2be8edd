import { permission } from '../../platform/tenancy/policy';

export const tenantPermissions = {
  read: permission('tenant:read', 'member', 'see the organisation'),
  update: permission('tenant:update', 'admin', 'rename the organisation'),
  export: permission('tenant:export', 'owner', "export the organisation's data"),
  delete: permission('tenant:delete', 'owner', 'delete the organisation'),
};
