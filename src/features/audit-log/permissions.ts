import { permission } from '../../platform/tenancy/policy';

export const auditPermissions = {
  read: permission('audit:read', 'admin', 'read the audit log'),
};
