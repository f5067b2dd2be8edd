import { eq } from 'drizzle-orm';
import { decoyPasswordHash, hashPassword, verifyPassword } from '../../platform/auth/password';
import { signSession } from '../../platform/auth/session-token';
import type { ServiceContext, TenantRef } from '../../platform/context';
import { membershipsOfUser } from '../../platform/db/cross-tenant';
import { isUniqueViolation } from '../../platform/db/errors';
import { users, type User } from '../../platform/db/schema';
import { AppError } from '../../platform/errors';
import { newId } from '../../platform/ids';
import type { Viewer } from '../../platform/ui/page-env';
import { createTenant } from '../tenants/service';
import type { LoginBody, SignupBody } from './inputs';

type PublicUser = Pick<User, 'id' | 'email' | 'name'>;

function emailTaken(): AppError {
  return new AppError('conflict', 'An account with this email already exists');
}

/**
 * Creates the user and, when `tenantName` is given, their first tenant, in
 * one batch: a failed tenant never leaves a user behind. Someone who was
 * invited signs up without a tenant and accepts the invitation afterwards.
 */
export async function signUp(ctx: ServiceContext, input: SignupBody): Promise<{ user: PublicUser; tenant: TenantRef | null; token: string }> {
  const user: PublicUser = { id: newId('usr'), email: input.email, name: input.name };
  const passwordHash = await hashPassword(input.password);
  let tenant: TenantRef | null = null;
  try {
    if (input.tenantName) {
      tenant = await createTenant(ctx, { name: input.tenantName, ownerId: user.id }, () => [ctx.global.insert(users).values({ ...user, passwordHash })]);
    } else {
      await ctx.global.insert(users).values({ ...user, passwordHash });
    }
  } catch (err) {
    if (isUniqueViolation(err, 'users.email')) throw emailTaken();
    throw err;
  }
  return { user, tenant, token: await signSession(ctx.env, user.id) };
}

/**
 * Signs in. Attempts are limited per email address (10 a minute), whoever
 * makes them, so guessing one account's password is slow without letting a
 * shared office IP lock everyone out.
 */
export async function logIn(ctx: ServiceContext, input: LoginBody): Promise<{ user: PublicUser; token: string }> {
  const { success } = await ctx.env.SIGNIN_LIMITER.limit({ key: `signin:${input.email}` });
  if (!success) throw new AppError('rate_limited', 'Too many sign-in attempts for this email; wait a minute and try again');
  const row = await ctx.global.first(users, eq(users.email, input.email));
  const ok = await verifyPassword(input.password, row?.passwordHash ?? (await decoyPasswordHash()));
  if (!row || !ok) throw new AppError('unauthenticated', 'Email or password is incorrect');
  return { user: { id: row.id, email: row.email, name: row.name }, token: await signSession(ctx.env, row.id) };
}

/** The signed-in person and their organisations: GET /api/me and the pages' chrome. */
export async function describeMe(ctx: ServiceContext, userId: string): Promise<Viewer> {
  // One round trip: the person and their organisations in one batch.
  const [[user], rows] = await ctx.global.batch([ctx.global.select(users, eq(users.id, userId)).limit(1), membershipsOfUser(ctx.env, userId)]);
  if (!user) throw new AppError('unauthenticated', 'Session is invalid or expired');
  return { user: { id: user.id, email: user.email, name: user.name }, memberships: rows.map(({ role, ...tenant }) => ({ tenant, role })) };
}
