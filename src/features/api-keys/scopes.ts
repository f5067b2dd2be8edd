/**
 * The permissions a key may be scoped to: every feature's, as the role
 * matrix lists them. A scope names one of these (held by the key's role), or
 * is `read`.
 */
import { can, READ_SCOPE, type Permission, type Role } from '../../platform/tenancy/policy';
import { AppError } from '../../platform/errors';
import { auditPermissions } from '../audit-log/permissions';
import { billingPermissions } from '../billing/permissions';
import { memberPermissions } from '../members/permissions';
import { projectPermissions } from '../projects/permissions';
import { tenantPermissions } from '../tenants/permissions';
import { apiKeyPermissions } from './permissions';

const SCOPABLE: readonly Permission[] = [auditPermissions, billingPermissions, memberPermissions, projectPermissions, tenantPermissions, apiKeyPermissions].flatMap(
  (list) => Object.values(list),
);

/** The permission names a key of `role` may be scoped to, for the page's hint. */
export function scopesFor(role: Role): string[] {
  return SCOPABLE.filter((permission) => can(role, permission)).map((permission) => permission.name);
}

/** 400 unless every scope is `read` or a permission `role` holds; duplicates removed. */
export function checkScopes(role: Role, scopes: readonly string[] | undefined): string[] | null {
  if (!scopes) return null;
  for (const scope of scopes) {
    if (scope === READ_SCOPE) continue;
    const permission = SCOPABLE.find((p) => p.name === scope);
    if (!permission) throw new AppError('validation_failed', `Unknown scope ${scope}`, { fieldErrors: { scopes: [`Unknown scope ${scope}`] } });
    if (!can(role, permission)) throw new AppError('validation_failed', `A ${role} key cannot hold ${scope}`, { fieldErrors: { scopes: [`${scope} is above the ${role} role`] } });
  }
  return [...new Set(scopes)];
}
