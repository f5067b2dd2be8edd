import { afterKey, type PageBounds } from '../../platform/pagination';
import { eq, inArray, sql, type SQL } from 'drizzle-orm';
import { auditEntryIf } from '../../platform/audit';
import type { Context } from 'hono';
import { tenantReadWithResolution } from '../../platform/auth/with-resolution';
import type { TenantContext } from '../../platform/context';
import type { TenantEnv } from '../../platform/env';
import type { TenantReads } from '../../platform/tenancy/tenant-db';
import { apiKeys, invitations, memberships, type Role } from '../../platform/db/schema';
import { AppError, notFound } from '../../platform/errors';
import { canGrant } from '../../platform/tenancy/policy';
import { roleRankSql } from '../../platform/tenancy/role-sql';
import { invitationSeat, memberSeat } from '../seats/model';
import { releaseSeatOrDefer } from '../seats/release';
import type { ChangeRoleBody } from './inputs';

export interface MemberView {
  user: { id: string; email: string; name: string };
  role: Role;
  joinedAt: number;
}

/** The tenant's members with their names, oldest first; with `page`, the rows of that page and one more (platform/pagination.ts). */
export function memberRows(db: TenantReads, page?: PageBounds) {
  const query = db.selectWithUser(memberships, memberships.userId, afterKey(page, memberships.createdAt, memberships.userId, 'asc')).orderBy(memberships.createdAt, memberships.userId);
  return page ? query.limit(page.rows) : query;
}

export function toMemberViews(rows: Awaited<ReturnType<typeof memberRows>>): MemberView[] {
  return rows.map(({ row, user }) => ({ user, role: row.role, joinedAt: row.createdAt }));
}

export async function listMembers(ctx: TenantContext): Promise<MemberView[]> {
  return toMemberViews(await memberRows(ctx.db));
}

/** GET /api/t/:tenant/members's read (the requested page), batched with who and where (one round trip). */
export const memberListRead = tenantReadWithResolution(memberRows, { paged: true });

export async function listMembersOfRequest(c: Context<TenantEnv>): Promise<MemberView[]> {
  return toMemberViews(await memberListRead.result(c));
}

async function getMember(ctx: TenantContext, userId: string): Promise<MemberView> {
  const [found] = await ctx.db.selectWithUser(memberships, memberships.userId, eq(memberships.userId, userId)).limit(1);
  if (!found) throw notFound('Member');
  return { user: found.user, role: found.row.role, joinedAt: found.row.createdAt };
}

async function getMembershipInTenant(ctx: TenantContext, userId: string) {
  const membership = await ctx.db.first(memberships, eq(memberships.userId, userId));
  if (!membership) throw notFound('Member');
  return membership;
}

/** True while the tenant would keep at least one owner if `userId` stopped being one. */
function anotherOwnerRemains(ctx: TenantContext, userId: string) {
  return sql`(SELECT count(*) FROM ${memberships} WHERE ${memberships.tenantId} = ${ctx.tenant.id} AND ${memberships.role} = 'owner' AND ${memberships.userId} <> ${userId}) > 0`;
}

/** The pending invitations `userId` sent with a role above `ceiling` (any role, when `ceiling` is null). */
async function invitationsAbove(ctx: TenantContext, userId: string, ceiling: Role | null): Promise<string[]> {
  const rows = await ctx.db.select(
    invitations,
    eq(invitations.invitedBy, userId),
    eq(invitations.status, 'pending'),
    ceiling ? sql`${roleRankSql(invitations.role)} > ${roleRankSql(sql`${ceiling}`)}` : undefined,
  );
  return rows.map((row) => row.id);
}

/**
 * What someone made with the authority they are losing: their API keys and
 * their pending invitations above `ceiling`, revoked in the same batch as the
 * change, and only if `happened` (the change went through).
 */
function revokeAuthorityAbove(ctx: TenantContext, userId: string, ceiling: Role, invitationIds: string[], happened: SQL) {
  return [
    ctx.db.update(
      apiKeys,
      { revokedAt: Date.now() },
      eq(apiKeys.createdBy, userId),
      sql`${apiKeys.revokedAt} IS NULL`,
      sql`${roleRankSql(apiKeys.role)} > ${roleRankSql(sql`${ceiling}`)}`,
      happened,
    ),
    ctx.db.update(invitations, { status: 'revoked' }, inArray(invitations.id, invitationIds), eq(invitations.status, 'pending'), happened),
  ];
}

function changedMeanwhile(targetRole: Role): AppError {
  return targetRole === 'owner'
    ? new AppError('conflict', 'An organisation needs at least one owner: make someone else owner first')
    : new AppError('conflict', 'This member changed meanwhile; reload and try again');
}

/**
 * Only owners touch owners or make owners; nobody grants above their own role;
 * the last owner cannot be demoted. The owner check runs inside the UPDATE,
 * so two owners demoting each other at once cannot leave the tenant ownerless.
 * A demotion takes the authority it removes with it: the member's API keys
 * and pending invitations above the new role are revoked.
 */
export async function changeMemberRole(ctx: TenantContext, userId: string, input: ChangeRoleBody): Promise<MemberView> {
  const target = await getMembershipInTenant(ctx, userId);
  if ((target.role === 'owner' || input.role === 'owner') && ctx.role !== 'owner') {
    throw new AppError('forbidden', 'Only owners can change an owner or make someone owner');
  }
  if (!canGrant(ctx.role, input.role)) throw new AppError('forbidden', 'You cannot grant a role above your own');
  if (target.role === input.role) return getMember(ctx, userId);

  const guard = target.role === 'owner' ? anotherOwnerRemains(ctx, userId) : undefined;
  const happened = sql`EXISTS (SELECT 1 FROM ${memberships} WHERE ${memberships.tenantId} = ${ctx.tenant.id} AND ${memberships.userId} = ${userId} AND ${memberships.role} = ${input.role})`;
  const revokedInvitations = canGrant(input.role, target.role) ? [] : await invitationsAbove(ctx, userId, input.role);
  const [updated] = await ctx.db.batch([
    ctx.db.update(memberships, { role: input.role }, eq(memberships.userId, userId), eq(memberships.role, target.role), guard),
    ...revokeAuthorityAbove(ctx, userId, input.role, revokedInvitations, happened),
    auditEntryIf(ctx, happened, 'member.role_changed', { type: 'user', id: userId }, { from: target.role, to: input.role, invitationsRevoked: revokedInvitations.length }),
  ]);
  if (updated.meta.changes === 0) throw changedMeanwhile(target.role);
  for (const id of revokedInvitations) await releaseSeatOrDefer(ctx, invitationSeat(id));
  return getMember(ctx, userId);
}

/**
 * Removes a member (or lets one leave). Their API keys go with the membership
 * (composite foreign key, ON DELETE CASCADE) and their pending invitations are
 * revoked. D1 first, then the seats are given back: a crash in between
 * over-counts until reconciliation, never over-allocates.
 */
export async function removeMember(ctx: TenantContext, userId: string): Promise<void> {
  const target = await getMembershipInTenant(ctx, userId);
  const leaving = ctx.actor.type === 'user' && ctx.actor.id === userId;
  if (target.role === 'owner' && ctx.role !== 'owner') throw new AppError('forbidden', 'Only owners can remove an owner');

  const guard = target.role === 'owner' ? anotherOwnerRemains(ctx, userId) : undefined;
  const happened = sql`NOT EXISTS (SELECT 1 FROM ${memberships} WHERE ${memberships.tenantId} = ${ctx.tenant.id} AND ${memberships.userId} = ${userId})`;
  const revokedInvitations = await invitationsAbove(ctx, userId, null);
  const [deleted] = await ctx.db.batch([
    ctx.db.delete(memberships, eq(memberships.userId, userId), guard),
    ctx.db.update(invitations, { status: 'revoked' }, inArray(invitations.id, revokedInvitations), eq(invitations.status, 'pending'), happened),
    auditEntryIf(ctx, happened, leaving ? 'member.left' : 'member.removed', { type: 'user', id: userId }, {
      role: target.role,
      invitationsRevoked: revokedInvitations.length,
    }),
  ]);
  if (deleted.meta.changes === 0) throw changedMeanwhile(target.role);
  await releaseSeatOrDefer(ctx, memberSeat(userId));
  for (const id of revokedInvitations) await releaseSeatOrDefer(ctx, invitationSeat(id));
}

