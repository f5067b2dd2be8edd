import { eq } from 'drizzle-orm';
import { decoyPasswordHash, hashPassword, verifyPassword } from '../../platform/auth/password';
import { signSession } from '../../platform/auth/session';
import { database } from '../../platform/db/client';
import { isUniqueViolation } from '../../platform/db/errors';
import { memberships, tenants, users, type User } from '../../platform/db/schema';
import type { Env } from '../../platform/env';
import { AppError } from '../../platform/http/errors';
import { newId } from '../../platform/ids';
import { createTenant, type TenantSummary } from '../tenants/service';
import type { LoginBody, SignupBody } from './schema';

export type PublicUser = Pick<User, 'id' | 'email' | 'name'>;

type AuthEnv = Pick<Env, 'DB' | 'JWT_SECRET'>;

function emailTaken(): AppError {
  return new AppError('conflict', 'An account with this email already exists');
}

/**
 * Creates the user and, when `tenantName` is given, their first tenant, in
 * one batch: a failed tenant never leaves a user behind. Someone who was
 * invited signs up without a tenant and accepts the invitation afterwards.
 */
export async function signUp(
  env: AuthEnv,
  input: SignupBody,
  requestId: string,
): Promise<{ user: PublicUser; tenant: TenantSummary | null; token: string }> {
  const user: PublicUser = { id: newId('usr'), email: input.email, name: input.name };
  const passwordHash = await hashPassword(input.password);
  let tenant: TenantSummary | null = null;
  try {
    if (input.tenantName) {
      tenant = await createTenant(env, { name: input.tenantName, ownerId: user.id, requestId }, (db) => [
        db.insert(users).values({ ...user, passwordHash }),
      ]);
    } else {
      await database(env.DB)
        .insert(users)
        .values({ ...user, passwordHash });
    }
  } catch (err) {
    if (isUniqueViolation(err, 'users.email')) throw emailTaken();
    throw err;
  }
  return { user, tenant, token: await signSession(env, user.id) };
}

/**
 * Signs in. Attempts are limited per email address (10 a minute), whoever
 * makes them, so guessing one account's password is slow without letting a
 * shared office IP lock everyone out.
 */
export async function logIn(env: AuthEnv & Pick<Env, 'SIGNIN_LIMITER'>, input: LoginBody): Promise<{ user: PublicUser; token: string }> {
  const { success } = await env.SIGNIN_LIMITER.limit({ key: `signin:${input.email}` });
  if (!success) throw new AppError('rate_limited', 'Too many sign-in attempts for this email; wait a minute and try again');
  const [row] = await database(env.DB).select().from(users).where(eq(users.email, input.email)).limit(1);
  const ok = await verifyPassword(input.password, row?.passwordHash ?? (await decoyPasswordHash()));
  if (!row || !ok) throw new AppError('unauthenticated', 'Email or password is incorrect');
  return { user: { id: row.id, email: row.email, name: row.name }, token: await signSession(env, row.id) };
}

export async function describeMe(env: Pick<Env, 'DB'>, userId: string) {
  const db = database(env.DB);
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (!user) throw new AppError('unauthenticated', 'Session is invalid or expired');
  const rows = await db
    .select({ id: tenants.id, slug: tenants.slug, name: tenants.name, role: memberships.role })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, userId))
    .orderBy(tenants.name);
  return { user, memberships: rows.map(({ role, ...tenant }) => ({ tenant, role })) };
}
