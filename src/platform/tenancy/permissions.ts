import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import type { Role } from '../db/schema';
import type { AppEnv } from '../env';
import { AppError } from '../http/errors';

/** Everything a role may be allowed to do inside a tenant. */
export const PERMISSIONS = [
  'tenant:read',
  'tenant:update',
  'tenant:export',
  'tenant:delete',
  'projects:read',
  'projects:write',
  'members:read',
  'members:invite',
  'members:manage',
  'billing:read',
  'billing:manage',
  'audit:read',
  'api_keys:manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/**
 * The permission matrix, as data: the one place that says who may do what.
 * Rules that depend on the target (owners, the last owner, granting above
 * one's own role) live in the members and invitations services.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: [
    'tenant:read',
    'tenant:update',
    'projects:read',
    'projects:write',
    'members:read',
    'members:invite',
    'members:manage',
    'billing:read',
    'audit:read',
    'api_keys:manage',
  ],
  member: ['tenant:read', 'projects:read', 'projects:write', 'members:read'],
};

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

/** The same ranking in SQL, for statements that compare roles (revoking keys above a new role). */
export function roleRankSql(role: SQLWrapper): SQL {
  return sql`(CASE ${role} WHEN 'owner' THEN 3 WHEN 'admin' THEN 2 ELSE 1 END)`;
}

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/** Nobody grants, invites or mints a key with a role above their own. */
export function canGrant(actorRole: Role, role: Role): boolean {
  return RANK[role] <= RANK[actorRole];
}

/** The roles `actorRole` may hand out, highest first (for role pickers). */
export function grantableRoles(actorRole: Role): Role[] {
  return (['owner', 'admin', 'member'] as const).filter((role) => canGrant(actorRole, role));
}

/** A guard that also says, to the route-table tests, which permission it checks. */
export type PermissionGuard = MiddlewareHandler<AppEnv> & { permission: Permission; selfParam?: string };

export interface GuardOptions {
  /** Also allow the caller acting on themselves, named by this route param (leaving a tenant). */
  orSelf?: string;
}

/**
 * Every route under /api/t/:tenant declares its permission with this guard;
 * test/workers/route-matrix.test.ts fails for a route that does not.
 */
export function requirePermission(permission: Permission, options: GuardOptions = {}): PermissionGuard {
  const guard: MiddlewareHandler<AppEnv> = async function requirePermissionMiddleware(c, next) {
    const self = options.orSelf && c.req.param(options.orSelf) === c.var.tenantCtx.actor.id;
    if (!self) assertPermission(c, permission);
    await next();
  };
  return Object.assign(guard, { permission, ...(options.orSelf ? { selfParam: options.orSelf } : {}) });
}

export function assertPermission(c: Context<AppEnv>, permission: Permission): void {
  if (!can(c.var.tenantCtx.role, permission)) {
    throw new AppError('forbidden', `Your role does not allow ${permission}`);
  }
}
