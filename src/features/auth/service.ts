import { and, eq } from 'drizzle-orm';
import { decoyPasswordHash, hashPassword, verifyPassword } from '../../platform/auth/password';
import { signMfaToken, verifyMfaToken } from '../../platform/auth/session-token';
import type { ServiceContext, TenantRef } from '../../platform/context';
import { userWithTenants } from '../../platform/db/cross-tenant';
import { callerWithTenantsRead } from '../../platform/auth/with-resolution';
import { isUniqueViolation } from '../../platform/db/errors';
import type { BatchStatement } from '../../platform/db/global-db';
import { sessions, users, type User } from '../../platform/db/schema';
import { AppError } from '../../platform/errors';
import { queueAccountEmail } from '../../platform/email/outbox';
import type { ClientInfo } from '../../platform/http/client';
import { newId } from '../../platform/ids';
import type { Viewer } from '../../platform/ui/page-env';
import { createTenant } from '../tenants/service';
import { checkSecondFactor, verificationStatements } from '../account/service';
import { securityEvent } from '../account/security-log';
import type { LoginBody, MfaLoginBody, SignupBody } from './inputs';
import { newSession } from './sessions';

type PublicUser = Pick<User, 'id' | 'email' | 'name'>;

/**
 * What a sign-up did. The API and the sign-up page answer both outcomes the
 * same way (issue 17 #10): only someone who has proven the address (it came
 * with an invitation sent there) may learn which one it was.
 */
export type SignUpResult = { created: true; user: PublicUser; tenant: TenantRef | null } | { created: false };

/**
 * Creates the user and, when `tenantName` is given, their first tenant, in
 * one batch: a failed tenant never leaves a user behind. Someone who was
 * invited signs up without a tenant and accepts the invitation afterwards.
 *
 * No session is opened here: the answer must not differ for an address that
 * already has an account, whose owner is emailed instead. The new account is
 * unverified until its emailed link is followed, and signs in as usual.
 * The same work is done either way (the password is hashed, one batch tried,
 * one email queued), so the time taken tells as little as the answer.
 */
export async function signUp(ctx: ServiceContext, input: SignupBody, client: ClientInfo, { addressProven = false } = {}): Promise<SignUpResult> {
  // Per client, in every environment: an office behind one address signs up far fewer than 20 a minute; a flood far more.
  const { success } = await ctx.env.SIGNUP_LIMITER.limit({ key: `signup:${client.ip}` });
  if (!success) throw new AppError('rate_limited', 'Too many sign-ups from your network; wait a minute and try again');
  const user: PublicUser = { id: newId('usr'), email: input.email, name: input.name };
  const passwordHash = await hashPassword(ctx.env, input.password);
  // An address already proven (`addressProven`: it came with an invitation sent there) needs no confirmation link.
  const verification = addressProven ? [] : await verificationStatements(ctx, user.id, user.email, 'signup');
  // The user first: every other row refers to it.
  const rows = (): [BatchStatement, ...BatchStatement[]] => [
    ctx.global.insert(users).values({ ...user, passwordHash, emailVerifiedAt: addressProven ? Date.now() : null }),
    ...verification,
    securityEvent(ctx, user.id, 'signup', client),
  ];
  try {
    if (!input.tenantName) {
      await ctx.global.batch(rows());
      return { created: true, user, tenant: null };
    }
    const tenant = await createTenant(ctx, { name: input.tenantName, ownerId: user.id }, rows);
    return { created: true, user, tenant };
  } catch (err) {
    if (!isUniqueViolation(err, 'users.email')) throw err;
    await queueAccountEmail(ctx, {
      to: user.email,
      subject: 'Someone tried to sign up with your address',
      text: `Someone tried to create a new account with this address, which already has one. If it was you, sign in: ${new URL('/signin', ctx.env.APP_URL)}\nForgot your password? ${new URL('/forgot-password', ctx.env.APP_URL)}\nIf it was not you, nothing has changed.`,
    });
    return { created: false };
  }
}

export type LogInResult = { mfaRequired: false; user: PublicUser; token: string } | { mfaRequired: true; mfaToken: string };

/**
 * Signs in. Attempts are limited per (address, client), so guessing one
 * account's password is slow while its owner, elsewhere, still signs in; and
 * per client, so spraying one password across many addresses is slow too.
 * With 2FA on, the password only earns an mfaToken for the second step.
 */
export async function logIn(ctx: ServiceContext, input: LoginBody, client: ClientInfo): Promise<LogInResult> {
  const [perAccount, perClient] = await Promise.all([
    ctx.env.SIGNIN_LIMITER.limit({ key: `signin:${input.email}:${client.ip}` }),
    ctx.env.SIGNIN_CLIENT_LIMITER.limit({ key: `signin-client:${client.ip}` }),
  ]);
  if (!perAccount.success || !perClient.success) throw new AppError('rate_limited', 'Too many sign-in attempts; wait a minute and try again');
  const row = await ctx.global.first(users, eq(users.email, input.email));
  const ok = await verifyPassword(input.password, row?.passwordHash ?? (await decoyPasswordHash(ctx.env)));
  if (!row || !ok) {
    if (row) await securityEvent(ctx, row.id, 'signin.failed', client);
    throw new AppError('unauthenticated', 'Email or password is incorrect');
  }
  if (row.mfaSecret) return { mfaRequired: true, mfaToken: await signMfaToken(ctx.env, row.id) };
  return { mfaRequired: false, ...(await openSession(ctx, row, client, 'password')) };
}

/** A new signed-in session for `user`, recorded in their security log; `method` says how they proved who they are. */
export async function openSession(ctx: ServiceContext, user: PublicUser, client: ClientInfo, method: string) {
  const session = await newSession(ctx, user.id, client);
  await ctx.global.batch([session.insert, securityEvent(ctx, user.id, 'signin.succeeded', client, { method, sessionId: session.id })]);
  return { user: { id: user.id, email: user.email, name: user.name }, token: session.token };
}

/** The second step: the mfaToken from the first, and a TOTP or recovery code. Limited like the first. */
export async function logInWithMfa(ctx: ServiceContext, input: MfaLoginBody, client: ClientInfo): Promise<{ user: PublicUser; token: string }> {
  const first = await verifyMfaToken(ctx.env, input.mfaToken);
  if (!first.ok) throw new AppError('unauthenticated', 'The sign-in has expired; start again');
  const { success } = await ctx.env.SIGNIN_LIMITER.limit({ key: `signin-mfa:${first.userId}:${client.ip}` });
  if (!success) throw new AppError('rate_limited', 'Too many codes tried; wait a minute and try again');
  const user = await ctx.global.first(users, eq(users.id, first.userId));
  if (!user) throw new AppError('unauthenticated', 'The sign-in has expired; start again');
  const factor = await checkSecondFactor(ctx, user, input.code);
  if (!factor) {
    await securityEvent(ctx, user.id, 'signin.mfa_failed', client);
    throw new AppError('unauthenticated', 'That code is not right');
  }
  if (factor === 'recovery_code') await securityEvent(ctx, user.id, 'mfa.recovery_code_used', client);
  return openSession(ctx, user, client, factor);
}

/** Ends the caller's session: the same token is refused from the next request on. */
export async function logOut(ctx: ServiceContext, principal: { userId: string; sessionId: string }, client: ClientInfo): Promise<void> {
  await ctx.global.batch([
    ctx.global.update(sessions).set({ revokedAt: Date.now() }).where(and(eq(sessions.id, principal.sessionId), eq(sessions.userId, principal.userId))),
    securityEvent(ctx, principal.userId, 'signout', client),
  ]);
}

/** The signed-in person and their organisations: the pages' chrome. */
export async function describeMe(ctx: ServiceContext, userId: string): Promise<Viewer> {
  return viewerOf(await userWithTenants(ctx.env, userId));
}

/** GET /api/me's read: the person and their organisations, read by who is calling's own statement. */
export const meRead = callerWithTenantsRead();

/** The viewer from `userWithTenants`'s rows. */
export function viewerOf(rows: Awaited<ReturnType<typeof userWithTenants>>): Viewer {
  const user = rows[0]?.user;
  if (!user) throw new AppError('unauthenticated', 'Session is invalid or expired');
  return {
    user: { id: user.id, email: user.email, name: user.name, emailVerified: user.emailVerifiedAt !== null, mfaEnabled: user.mfaSecret !== null },
    memberships: rows.flatMap(({ tenant, role }) => (tenant && role ? [{ tenant, role }] : [])),
  };
}
