/** The route guard over the policy: every route under a tenant declares its permission with it. */
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors';
import type { TenantEnv } from '../env';
import { withDoc } from '../http/route-doc';
import { can, refusalFor, scopeAllows, type Permission } from './policy';

/** A guard that also says, to the route-table tests, which permission it checks. */
export type PermissionGuard = MiddlewareHandler<TenantEnv> & { permission: Permission; selfParam?: string };

export interface GuardOptions {
  /** Also allow the caller acting on themselves, named by this route param (leaving a tenant). */
  orSelf?: string;
}

/**
 * 403 unless the caller's role holds `permission`.
 * test/workers/route-matrix.test.ts fails for a tenant route that has no guard.
 */
export function requirePermission(permission: Permission, options: GuardOptions = {}): PermissionGuard {
  const guard: MiddlewareHandler<TenantEnv> = async function requirePermissionMiddleware(c, next) {
    const self = options.orSelf && c.req.param(options.orSelf) === c.get('tenantCtx').actor.id;
    if (!self && !can(c.get('tenantCtx').role, permission)) throw new AppError('forbidden', refusalFor(permission));
    const principal = c.get('principal');
    if (principal?.type === 'api_key' && !scopeAllows(principal.scopes, permission, c.req.method)) {
      throw new AppError('forbidden', `This API key's scopes do not allow ${permission.name}${principal.scopes?.includes('read') ? ' (it is read-only)' : ''}`);
    }
    await next();
  };
  return Object.assign(withDoc(guard, { errors: [403] }), { permission, ...(options.orSelf ? { selfParam: options.orSelf } : {}) });
}
