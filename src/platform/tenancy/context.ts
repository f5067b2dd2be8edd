import type { Role, Tenant } from '../db/schema';
import type { TenantDb } from './tenant-db';

/** Who did something, as the audit log records it. */
export type Actor =
  | { type: 'user'; id: string }
  | { type: 'api_key'; id: string }
  | { type: 'system'; id: null };

/**
 * What a service is handed for work inside one tenant: the tenant, who is
 * acting and with which role, the tenant-bound database, and the request id
 * that ties the work to its log line and audit rows.
 */
export interface TenantContext {
  tenant: Pick<Tenant, 'id' | 'slug' | 'name'>;
  actor: Actor;
  role: Role;
  db: TenantDb;
  requestId: string;
}
