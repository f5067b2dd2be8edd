import { permission } from '../../platform/tenancy/policy';

export const projectPermissions = {
  read: permission('projects:read', 'member', 'see projects'),
  write: permission('projects:write', 'member', 'create, rename or delete projects'),
};
