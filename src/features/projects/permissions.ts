import { permission } from '../../platform/tenancy/policy';

export const projectPermissions = {
  read: permission('projects:read', 'member'),
  write: permission('projects:write', 'member'),
};
