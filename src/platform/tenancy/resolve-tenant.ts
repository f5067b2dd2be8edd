import { and, eq } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { requirePrincipal } from '../auth/middleware';
import { tenantContext, type TenantContext } from '../context';
import { database } from '../db/client';
import { memberships, tenants } from '../db/schema';
import type { AppEnv, TenantEnv } from '../env';
import { AppError, notFound } from '../errors';
import { requestContext } from '../http/request-context';

/**
 * Resolves `:tenant` (the slug) and the caller's membership in one query and
 * builds the tenant-bound context. Anyone who is not a member, including an
 * API key of another tenant, gets the same 404 as for a tenant that does not exist.
 */
export async function loadTenantContext<E extends AppEnv>(c: Context<E>): Promise<TenantContext> {
  const principal = requirePrincipal(c);
  const slug = c.req.param('tenant');
  if (!slug) throw notFound('Tenant');
  const db = database(c.env.DB);
  const base = requestContext(c);

  if (principal.type === 'api_key') {
    const [tenant] = await db
      .select({ id: tenants.id, slug: tenants.slug, name: tenants.name })
      .from(tenants)
      .where(and(eq(tenants.slug, slug), eq(tenants.id, principal.tenantId)))
      .limit(1);
    if (!tenant) throw notFound('Tenant');
    return tenantContext(base, tenant, { type: 'api_key', id: principal.apiKeyId, onBehalfOf: principal.createdBy }, principal.role);
  }

  const [row] = await db
    .select({ id: tenants.id, slug: tenants.slug, name: tenants.name, requireMfa: tenants.requireMfa, role: memberships.role })
    .from(tenants)
    .innerJoin(memberships, and(eq(memberships.tenantId, tenants.id), eq(memberships.userId, principal.userId)))
    .where(eq(tenants.slug, slug))
    .limit(1);
  if (!row) throw notFound('Tenant');
  const { role, requireMfa, ...tenant } = row;
  // After the membership check, so a non-member still learns nothing; API keys are unaffected (they take the branch above).
  if (requireMfa && !principal.mfaEnabled) throw new AppError('mfa_required', 'This organisation requires two-factor sign-in: turn it on in your account first');
  return tenantContext(base, tenant, { type: 'user', id: principal.userId }, role);
}

/** The tenancy middleware of /api/t/:tenant: sets `c.var.tenantCtx`, which only `TenantEnv` routes can read. */
export function resolveTenant(): MiddlewareHandler<TenantEnv> {
  return async function resolveTenantMiddleware(c, next) {
    const ctx = await loadTenantContext(c);
    c.set('tenantCtx', ctx);
    c.set('tenantId', ctx.tenant.id);
    await next();
  };
}
