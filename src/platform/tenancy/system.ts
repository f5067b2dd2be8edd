import { eq } from 'drizzle-orm';
import { database } from '../db/client';
import { tenants } from '../db/schema';
import type { Env } from '../env';
import type { TenantContext } from './context';
import { TenantDb } from './tenant-db';

/**
 * A tenant-bound context for work no person asked for (webhooks, the
 * reconciliation job): the same door to tenant data, with the system as the
 * actor and owner rights. Undefined for a tenant that does not exist.
 */
export async function systemContext(env: Pick<Env, 'DB'>, tenantId: string, requestId: string): Promise<TenantContext | undefined> {
  const db = database(env.DB);
  const [tenant] = await db.select({ id: tenants.id, slug: tenants.slug, name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  if (!tenant) return undefined;
  return { tenant, actor: { type: 'system', id: null }, role: 'owner', db: new TenantDb(db, tenant.id), requestId };
}
