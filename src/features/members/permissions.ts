import { permission } from '../../platform/tenancy/policy';

/** Inviting is a members permission: an invitation is a member to be. */
export const memberPermissions = {
  read: permission('members:read', 'member'),
  invite: permission('members:invite', 'admin'),
  manage: permission('members:manage', 'admin'),
};
