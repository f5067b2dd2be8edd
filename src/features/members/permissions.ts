import { permission } from '../../platform/tenancy/policy';

/** Inviting is a members permission: an invitation is a member to be. */
export const memberPermissions = {
  read: permission('members:read', 'member', 'see the members'),
  invite: permission('members:invite', 'admin', 'invite people'),
  manage: permission('members:manage', 'admin', 'change roles or remove members'),
};
