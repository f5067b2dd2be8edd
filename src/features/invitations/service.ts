import { afterKey, type PageBounds } from '../../platform/pagination';
import { desc, eq, lte, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { tenantReadWithResolution } from '../../platform/auth/with-resolution';
import type { TenantEnv } from '../../platform/env';
import type { TenantReads } from '../../platform/tenancy/tenant-db';
import { markEmailVerified } from '../account/service';
import { auditEntry, auditEntryIf } from '../../platform/audit';
import { authorityOf, tenantContext, type ServiceContext, type TenantContext, type TenantRef } from '../../platform/context';
import { randomToken, sha256Hex } from '../../platform/crypto';
import { invitationByTokenHash } from '../../platform/db/cross-tenant';
import { isUniqueViolation } from '../../platform/db/errors';
import { invitations, memberships, users, type Role } from '../../platform/db/schema';
import { queueEmail } from '../../platform/email/outbox';
import type { Env } from '../../platform/env';
import { AppError, notFound } from '../../platform/errors';
import { newId } from '../../platform/ids';
import { canGrant } from '../../platform/tenancy/policy';
import { planLimitError } from '../billing/plans';
import { seatsFor } from '../seats/client';
import { invitationSeat, memberSeat } from '../seats/model';
import { releaseSeatOrDefer } from '../seats/release';
import type { CreateInvitationBody } from './inputs';

const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

type InvitationRow = typeof invitations.$inferSelect;

export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  status: InvitationRow['status'];
  expiresAt: number;
  createdAt: number;
}

/** A pending invitation past its expiry is expired, whether or not a sweep has written that yet. */
function toView(row: InvitationRow, now = Date.now()): InvitationView {
  const status = row.status === 'pending' && row.expiresAt <= now ? 'expired' : row.status;
  return { id: row.id, email: row.email, role: row.role, status, expiresAt: row.expiresAt, createdAt: row.createdAt };
}

function acceptUrlFor(env: Env, token: string): string {
  return `${env.APP_URL.replace(/\/$/, '')}/invitations/${token}`;
}

/** Who sends it, as the email names them: "Ada Lovelace (ada@example.com)"; a key or the system as the organisation. */
async function inviterName(ctx: TenantContext): Promise<string | null> {
  if (ctx.actor.type !== 'user' || !ctx.actor.id) return null;
  const user = await ctx.global.first(users, eq(users.id, ctx.actor.id));
  return user ? `${user.name} (${user.email})` : null;
}

/** The invitation email: who invited you, to what, as what, and until when. */
function invitationEmail(ctx: TenantContext, to: string, role: Role, token: string, expiresAt: number, inviter: string | null) {
  const who = inviter ?? `An admin of ${ctx.tenant.name}`;
  return queueEmail(ctx, {
    to,
    subject: `${inviter ? inviter.replace(/ \(.*\)$/, '') : ctx.tenant.name} invited you to ${ctx.tenant.name} on saas-slice`,
    text: `${who} invited you to join ${ctx.tenant.name} as ${role}.\n\nAccept the invitation: ${acceptUrlFor(ctx.env, token)}\n\nThe link expires on ${new Date(expiresAt).toUTCString()}.`,
  });
}

/** Newest first; with `page`, the rows of that page and one more (platform/pagination.ts). */
function pendingRows(db: TenantReads, page?: PageBounds) {
  const query = db
    .select(invitations, eq(invitations.status, 'pending'), afterKey(page, invitations.createdAt, invitations.id, 'desc'))
    .orderBy(desc(invitations.createdAt), desc(invitations.id));
  return page ? query.limit(page.rows) : query;
}

export async function listInvitations(ctx: TenantContext): Promise<InvitationView[]> {
  return (await pendingRows(ctx.db)).map((row) => toView(row));
}

/** GET /api/t/:tenant/invitations's read (the requested page), batched with who and where (one round trip). */
export const invitationListRead = tenantReadWithResolution(pendingRows, { paged: true });

export async function listInvitationsOfRequest(c: Context<TenantEnv>): Promise<InvitationView[]> {
  return (await invitationListRead.result(c)).map((row) => toView(row));
}

/**
 * Invites someone. Checks run in the contract's order: role (403), then the
 * seat (402), then conflicts (409). The seat is reserved in the tenant's
 * object before D1 is written and given back if the write fails, so the
 * object never counts fewer holders than D1 has.
 */
export async function createInvitation(ctx: TenantContext, input: CreateInvitationBody): Promise<{ invitation: InvitationView; acceptUrl: string }> {
  if (!canGrant(ctx.role, input.role)) throw new AppError('forbidden', `You cannot invite someone as ${input.role}`);
  const now = Date.now();
  const [alreadyMember, inviter] = await Promise.all([
    ctx.db
      .selectWithUser(memberships, memberships.userId, eq(users.email, input.email))
      .limit(1)
      .then((rows) => rows.length > 0),
    inviterName(ctx),
  ]);

  const id = newId('inv');
  const token = randomToken();
  const expiresAt = now + INVITATION_TTL_MS;
  const seats = seatsFor(ctx.env, ctx.tenant.id);
  const reservation = await seats.reserveSeat(invitationSeat(id), { expiresAt });
  if (!reservation.ok) throw planLimitError('seats', reservation.usage.limit);

  try {
    if (alreadyMember) throw new AppError('conflict', `${input.email} is already a member`);
    await ctx.db.batch([
      // An expired invitation to the same address stops blocking a new one.
      ctx.db.update(invitations, { status: 'expired' }, eq(invitations.email, input.email), eq(invitations.status, 'pending'), lte(invitations.expiresAt, now)),
      ctx.db.insert(invitations, {
        id,
        email: input.email,
        role: input.role,
        tokenHash: await sha256Hex(token),
        invitedBy: authorityOf(ctx.actor) ?? 'system',
        expiresAt,
        createdAt: now,
      }),
      invitationEmail(ctx, input.email, input.role, token, expiresAt, inviter),
      auditEntry(ctx, 'invitation.created', { type: 'invitation', id }, { email: input.email, role: input.role }),
    ]);
  } catch (err) {
    // A failure can be reported for a batch that did commit: give the seat back only when the row is
    // certainly not there. If even that read fails, keep the seat: reconciliation frees a leaked one.
    const written = await ctx.db.first(invitations, eq(invitations.id, id)).then(Boolean, () => true);
    if (!written) await releaseSeatOrDefer(ctx, invitationSeat(id));
    if (isUniqueViolation(err, 'invitations.tenant_id, invitations.email')) {
      throw new AppError('conflict', `${input.email} already has a pending invitation`);
    }
    throw err;
  }
  const invitation: InvitationView = { id, email: input.email, role: input.role, status: 'pending', expiresAt, createdAt: now };
  return { invitation, acceptUrl: acceptUrlFor(ctx.env, token) };
}

/** Revokes a pending invitation: D1 first, then the seat is given back. */
export async function revokeInvitation(ctx: TenantContext, id: string): Promise<void> {
  const row = await ctx.db.first(invitations, eq(invitations.id, id));
  if (!row) throw notFound('Invitation');
  if (row.status !== 'pending') throw new AppError('conflict', `This invitation is already ${row.status}`);
  const [updated] = await ctx.db.batch([
    ctx.db.update(invitations, { status: 'revoked' }, eq(invitations.id, id), eq(invitations.status, 'pending')),
    auditEntry(ctx, 'invitation.revoked', { type: 'invitation', id }, { email: row.email }),
  ]);
  if (updated.meta.changes === 0) throw new AppError('conflict', 'This invitation is no longer pending');
  await releaseSeatOrDefer(ctx, invitationSeat(id));
}

/**
 * Sends a pending invitation again: a new link (the old one stops working,
 * since only its hash is stored, the link cannot be shown twice) and a new
 * week to accept it. The seat stays reserved, now until the new expiry.
 */
export async function resendInvitation(ctx: TenantContext, id: string): Promise<{ invitation: InvitationView; acceptUrl: string }> {
  const [row, inviter] = await Promise.all([ctx.db.first(invitations, eq(invitations.id, id)), inviterName(ctx)]);
  if (!row) throw notFound('Invitation');
  if (row.status !== 'pending') throw new AppError('conflict', `This invitation is already ${row.status}`);
  const token = randomToken();
  const expiresAt = Date.now() + INVITATION_TTL_MS;
  // The seat first: an invitation past its expiry may have lost it, and a full organisation has none to give.
  const reservation = await seatsFor(ctx.env, ctx.tenant.id).reserveSeat(invitationSeat(id), { expiresAt });
  if (!reservation.ok) throw planLimitError('seats', reservation.usage.limit);
  const [updated] = await ctx.db.batch([
    ctx.db.update(invitations, { tokenHash: await sha256Hex(token), expiresAt }, eq(invitations.id, id), eq(invitations.status, 'pending')),
    invitationEmail(ctx, row.email, row.role, token, expiresAt, inviter),
    auditEntry(ctx, 'invitation.resent', { type: 'invitation', id }, { email: row.email }),
  ]);
  if (updated.meta.changes === 0) throw new AppError('conflict', 'This invitation is no longer pending');
  return { invitation: toView({ ...row, expiresAt }), acceptUrl: acceptUrlFor(ctx.env, token) };
}

export interface InvitationPreview {
  tenantName: string;
  email: string;
  role: Role;
  status: InvitationView['status'];
  expiresAt: number;
}

/**
 * What the holder of an invitation link may see before accepting: which
 * tenant, which role, for which address. The token is the credential, so
 * nothing more is asked; an unknown token is a 404.
 */
export async function previewInvitation(ctx: ServiceContext, token: string): Promise<InvitationPreview> {
  const found = await invitationByTokenHash(ctx.env, await sha256Hex(token));
  if (!found) throw notFound('Invitation');
  const { email, role, status, expiresAt } = toView(found.invitation);
  return { tenantName: found.tenant.name, email, role, status, expiresAt };
}

/**
 * Accepts an invitation, once, for the signed-in user whose email it was
 * sent to. The invitation's seat becomes the member's seat (the count does
 * not change). In one batch: the membership, written only while the
 * invitation is still pending and unexpired; the invitation marked accepted;
 * and the audit rows, written only if that happened.
 */
export async function acceptInvitation(
  base: ServiceContext,
  user: { userId: string; email: string },
  token: string,
): Promise<{ tenant: TenantRef; role: Role }> {
  const found = await invitationByTokenHash(base.env, await sha256Hex(token));
  if (!found) throw notFound('Invitation');
  const { invitation, tenant } = found;
  if (invitation.email !== user.email) throw new AppError('forbidden', 'This invitation was sent to a different email address');
  const now = Date.now();
  if (invitation.status !== 'pending') throw new AppError('conflict', `This invitation is already ${invitation.status}`);
  if (invitation.expiresAt <= now) throw new AppError('conflict', 'This invitation has expired; ask for a new one');

  const ctx = tenantContext(base, tenant, { type: 'user', id: user.userId }, invitation.role);
  const seats = seatsFor(ctx.env, tenant.id);
  const moved = await seats.transferSeat(invitationSeat(invitation.id), memberSeat(user.userId));
  if (!moved.ok) throw planLimitError('seats', moved.usage.limit);

  const stillPending = sql`EXISTS (SELECT 1 FROM ${invitations} WHERE ${invitations.id} = ${invitation.id} AND ${invitations.status} = 'pending' AND ${invitations.expiresAt} > ${now})`;
  const acceptedNow = sql`EXISTS (SELECT 1 FROM ${invitations} WHERE ${invitations.id} = ${invitation.id} AND ${invitations.status} = 'accepted' AND ${invitations.acceptedAt} = ${now})`;
  try {
    const [joined] = await ctx.db.batch([
      ctx.db.insertWhere(memberships, { userId: user.userId, role: invitation.role }, stillPending),
      ctx.db.update(invitations, { status: 'accepted', acceptedAt: now }, eq(invitations.id, invitation.id), eq(invitations.status, 'pending')),
      auditEntryIf(ctx, acceptedNow, 'invitation.accepted', { type: 'invitation', id: invitation.id }, { email: invitation.email }),
      auditEntryIf(ctx, acceptedNow, 'member.added', { type: 'user', id: user.userId }, { role: invitation.role }),
      // The link reached this address, so the address is proven.
      markEmailVerified(ctx, user.userId, invitation.email),
    ]);
    if (joined.meta.changes === 0) throw new AppError('conflict', 'This invitation is no longer pending');
  } catch (err) {
    // Hand the seat back to the invitation; if even that fails, reconciliation repairs it.
    await seats.transferSeat(memberSeat(user.userId), invitationSeat(invitation.id), { expiresAt: invitation.expiresAt }).catch(() => undefined);
    if (isUniqueViolation(err, 'memberships')) throw new AppError('conflict', 'You are already a member of this organisation');
    throw err;
  }
  return { tenant, role: invitation.role };
}
