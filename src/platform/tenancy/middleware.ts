import { and, eq } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { requirePrincipal } from '../auth/middleware';
import { database } from '../db/client';
import { memberships, tenants } from '../db/schema';
import type { AppEnv } from '../env';
import { notFound } from '../http/errors';
import type { TenantContext } from './context';
import { TenantDb } from './tenant-db';

/**
 * Resolves `:tenant` (the slug) and the caller's membership in one query and
 * sets the tenant-bound context. Anyone who is not a member, including an API
 * key of another tenant, gets the same 404 as for a tenant that does not exist.
 */
export function resolveTenant(): MiddlewareHandler<AppEnv> {
  return async function resolveTenantMiddleware(c, next) {
    const principal = requirePrincipal(c);
    const slug = c.req.param('tenant');
    if (!slug) throw notFound('Tenant');
    const db = database(c.env.DB);

    if (principal.type === 'api_key') {
      const [tenant] = await db
        .select({ id: tenants.id, slug: tenants.slug, name: tenants.name })
        .from(tenants)
        .where(and(eq(tenants.slug, slug), eq(tenants.id, principal.tenantId)))
        .limit(1);
      if (!tenant) throw notFound('Tenant');
      c.set('tenantCtx', tenantContext(db, tenant, principal.role, { type: 'api_key', id: principal.apiKeyId }, c.get('requestId')));
      return next();
    }

    const [row] = await db
      .select({ id: tenants.id, slug: tenants.slug, name: tenants.name, role: memberships.role })
      .from(tenants)
      .innerJoin(memberships, and(eq(memberships.tenantId, tenants.id), eq(memberships.userId, principal.userId)))
      .where(eq(tenants.slug, slug))
      .limit(1);
    if (!row) throw notFound('Tenant');
    const { role, ...tenant } = row;
    c.set('tenantCtx', tenantContext(db, tenant, role, { type: 'user', id: principal.userId }, c.get('requestId')));
    return next();
  };
}

function tenantContext(
  db: ReturnType<typeof database>,
  tenant: TenantContext['tenant'],
  role: TenantContext['role'],
  actor: TenantContext['actor'],
  requestId: string,
): TenantContext {
  return { tenant, role, actor, requestId, db: new TenantDb(db, tenant.id) };
}
