import { permission } from '../../platform/tenancy/policy';

/** Only owners manage billing. */
export const billingPermissions = {
  read: permission('billing:read', 'admin'),
  manage: permission('billing:manage', 'owner'),
};
