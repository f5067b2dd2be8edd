/**
 * The one context factory. A service is handed a context, never loose
 * bindings: the Worker's env (its bindings, typed by `wrangler types`), the
 * id that ties the work to its log lines and audit rows, the logger, and
 * the door to the global tables. Work inside one tenant gets a
 * `TenantContext` on top, made here and only here, whose `db` is the only
 * door to that tenant's data.
 */
import { and, eq, sql, type Placeholder } from 'drizzle-orm';
import { memberships, tenants, type Role, type Tenant } from './db/schema';
import { database, type Database } from './db/client';
import { tenantById } from './db/cross-tenant';
import { GlobalDb } from './db/global-db';
import type { Env } from './env';
import { createLogger, type Logger } from './log/logger';
import { instrumentEnv } from './observe/instrument';
import { currentUnit } from './observe/usage';
import { TenantDb, type TenantReads } from './tenancy/tenant-db';

/** What every service receives: the bindings it may reach, the request id, the logger, the global tables. */
export interface ServiceContext {
  env: Env;
  requestId: string;
  log: Logger;
  /** Accounts, the tenant registry, Stripe's events: the tables no tenant owns. */
  global: GlobalDb;
}

/**
 * Who did something, as the audit log records it. A key acts on behalf of
 * the person who created it: what it makes carries that person's authority.
 */
export type Actor =
  | { type: 'user'; id: string }
  | { type: 'api_key'; id: string; onBehalfOf: string }
  | { type: 'system'; id: null }
  /** Support staff through /ops: `id` is who (their Access email, or the dev token's name). */
  | { type: 'operator'; id: string };

/**
 * The person whose authority an action rests on: the user, or the creator of
 * the API key used (so what a key made is revoked with its creator's role),
 * or nobody for the system.
 */
export function authorityOf(actor: Actor): string | null {
  if (actor.type === 'api_key') return actor.onBehalfOf;
  // An operator's id names support staff, not a member of the tenant: it carries no tenant authority.
  if (actor.type === 'operator') return null;
  return actor.id;
}

export type TenantRef = Pick<Tenant, 'id' | 'slug' | 'name'>;

/**
 * Work inside one tenant: the tenant, who is acting and with which role, and
 * the tenant-bound database. Its logger carries the tenant's id.
 */
export interface TenantContext extends ServiceContext {
  tenant: TenantRef;
  actor: Actor;
  role: Role;
  db: TenantDb;
}

/** A context for work outside any tenant: a request before its tenant is known, a queue message, a cron tick. */
export function serviceContext(env: Env, requestId: string, log: Logger = createLogger(undefined, { requestId })): ServiceContext {
  const counted = instrumentEnv(env);
  return { env: counted, requestId, log, global: new GlobalDb(database(counted.DB)) };
}

/** The one place a `TenantDb` is made: the tenancy middleware, system work and a new member's first steps all come here. */
export function tenantContext(base: ServiceContext, tenant: TenantRef, actor: Actor, role: Role): TenantContext {
  currentUnit()?.attribute(tenant.id);
  return {
    ...base,
    log: base.log.with({ tenantId: tenant.id }),
    tenant,
    actor,
    role,
    db: new TenantDb(database(base.env.DB), tenant.id),
  };
}

/**
 * Work no person asked for (a webhook, the reconciliation job): the same
 * door to tenant data, with the system as the actor and owner rights.
 * Undefined for a tenant that does not exist.
 */
export async function systemContext(base: ServiceContext, tenantId: string): Promise<TenantContext | undefined> {
  const tenant = await tenantById(base.env, tenantId);
  return tenant && tenantContext(base, tenant, { type: 'system', id: null }, 'owner');
}

/**
 * The reads of the tenant a path names, before who and where is known, for a
 * read batched with that resolution (platform/auth/with-resolution.ts): every
 * statement carries `tenant_id = (the tenant of that slug where userId is a
 * member)`, or for an API key (no user) the tenant of that slug, whose rows
 * are handed out only once the resolution in the same batch admits the key.
 * The slug and user may be placeholders, for a read built once per isolate
 * (platform/db/compiled.ts).
 */
export function tenantReadsBySlug(db: Database, slug: string | Placeholder, userId: string | Placeholder | undefined): TenantReads {
  const member = userId === undefined ? undefined : sql`EXISTS (SELECT 1 FROM ${memberships} WHERE ${and(eq(memberships.tenantId, tenants.id), eq(memberships.userId, userId))})`;
  const tenantId = sql`(SELECT ${tenants.id} FROM ${tenants} WHERE ${and(eq(tenants.slug, slug), member)})`;
  return new TenantDb(db, tenantId);
}
