import { permission } from '../../platform/tenancy/policy';

/** Only owners manage billing. */
export const billingPermissions = {
  read: permission('billing:read', 'admin', 'see billing'),
  manage: permission('billing:manage', 'owner', 'change the plan, seats or payment details'),
};
