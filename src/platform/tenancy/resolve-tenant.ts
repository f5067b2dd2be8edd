import type { Context, MiddlewareHandler } from 'hono';
import { requirePrincipal } from '../auth/middleware';
import type { Actor, TenantContext } from '../context';
import { tenantContext } from '../context';
import type { AppEnv, TenantEnv } from '../env';
import { AppError, notFound } from '../errors';
import { requestContext } from '../http/request-context';

/**
 * Builds the tenant-bound context from the membership that authentication
 * found with the caller (the same statement, platform/auth/middleware.ts):
 * no query of its own. Anyone who is not a member, including an API key of
 * another tenant, gets the same 404 as for a tenant that does not exist.
 */
export function loadTenantContext<E extends AppEnv>(c: Context<E>): TenantContext {
  const principal = requirePrincipal(c);
  const membership = c.get('membership');
  if (!membership) throw notFound('Tenant');
  // After the membership check, so a non-member still learns nothing; API keys are unaffected (their creator's rights were checked when the key was made).
  if (principal.type === 'user' && membership.requireMfa && !principal.mfaEnabled) {
    throw new AppError('mfa_required', 'This organisation requires two-factor sign-in: turn it on in your account first');
  }
  const actor: Actor = principal.type === 'api_key' ? { type: 'api_key', id: principal.apiKeyId, onBehalfOf: principal.createdBy } : { type: 'user', id: principal.userId };
  return tenantContext(requestContext(c), membership.tenant, actor, membership.role);
}

/** The tenancy middleware of /api/t/:tenant: sets `c.get('tenantCtx')`, which only `TenantEnv` routes can read. */
export function resolveTenant(): MiddlewareHandler<TenantEnv> {
  return async function resolveTenantMiddleware(c, next) {
    const ctx = loadTenantContext(c);
    c.set('tenantCtx', ctx);
    c.set('tenantId', ctx.tenant.id);
    await next();
  };
}
