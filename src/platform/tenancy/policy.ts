/**
 * Who may do what inside a tenant, as data and pure functions: no Hono, no
 * SQL. Services, guards and views all read it here. Each feature declares
 * its own permissions (its `permissions.ts`); a permission names the lowest
 * role that holds it, and the roles are ranked, so the matrix is the list of
 * every feature's permissions (see docs/ARCHITECTURE.md).
 */
import { ROLES, type Role } from '../db/schema';

export { ROLES, type Role };

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

export interface Permission {
  /** `area:action`, as error messages and the route-table tests name it. */
  readonly name: `${string}:${string}`;
  /** The lowest role that holds it; every role above holds it too. */
  readonly minimumRole: Role;
  /** What it allows, in the product's words, for refusals ("rename the organisation"). */
  readonly does?: string;
}

export function permission(name: Permission['name'], minimumRole: Role, does?: string): Permission {
  return { name, minimumRole, does };
}

const HOLDERS: Record<Role, string> = { owner: 'owners', admin: 'owners and admins', member: 'members' };

/** The refusal people read: "Only owners can rename the organisation." */
export function refusalFor(permission: Permission): string {
  return `Only ${HOLDERS[permission.minimumRole]} can ${permission.does ?? 'do this'}.`;
}

export function can(role: Role, permission: Permission): boolean {
  return RANK[role] >= RANK[permission.minimumRole];
}

/** Nobody grants, invites or mints a key with a role above their own. */
export function canGrant(actorRole: Role, role: Role): boolean {
  return RANK[role] <= RANK[actorRole];
}

/** The roles `actorRole` may hand out, highest first (for role pickers). */
export function grantableRoles(actorRole: Role): Role[] {
  return [...ROLES].filter((role) => canGrant(actorRole, role));
}
