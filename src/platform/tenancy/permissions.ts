import type { Context, MiddlewareHandler } from 'hono';
import type { Role } from '../db/schema';
import type { AppEnv } from '../env';
import { AppError } from '../http/errors';

/** Everything a role may be allowed to do inside a tenant. */
export const PERMISSIONS = [
  'tenant:read',
  'projects:read',
  'projects:write',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** The permission matrix, as data: the one place that says who may do what. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: ['tenant:read', 'projects:read', 'projects:write'],
  member: ['tenant:read', 'projects:read', 'projects:write'],
};

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/** A guard that also says, to the route-table tests, which permission it checks. */
export type PermissionGuard = MiddlewareHandler<AppEnv> & { permission: Permission };

/**
 * Every route under /api/t/:tenant declares its permission with this guard;
 * test/workers/route-matrix.test.ts fails for a route that does not.
 */
export function requirePermission(permission: Permission): PermissionGuard {
  const guard: MiddlewareHandler<AppEnv> = async function requirePermissionMiddleware(c, next) {
    assertPermission(c, permission);
    await next();
  };
  return Object.assign(guard, { permission });
}

export function assertPermission(c: Context<AppEnv>, permission: Permission): void {
  if (!can(c.var.tenantCtx.role, permission)) {
    throw new AppError('forbidden', `Your role does not allow ${permission}`);
  }
}
