/**
 * Account security: email verification (and email change), password reset
 * and change, TOTP two-factor. Every change that should end other sessions
 * revokes them in the same batch that makes it.
 */
import { and, eq, gt, isNull, lt, or } from 'drizzle-orm';
import { hashPassword, verifyPassword } from '../../platform/auth/password';
import type { Principal } from '../../platform/auth/principal';
import type { ServiceContext } from '../../platform/context';
import { sha256Hex, randomToken } from '../../platform/crypto';
import { isUniqueViolation } from '../../platform/db/errors';
import { recoveryCodes, users, userTokens, type User } from '../../platform/db/schema';
import { queueAccountEmail } from '../../platform/email/outbox';
import { AppError } from '../../platform/errors';
import type { ClientInfo } from '../../platform/http/client';
import { newId } from '../../platform/ids';
import { revokeSessions } from '../auth/sessions';
import { openTotpSecret, sealTotpSecret } from './secret-seal';
import { securityEvent } from './security-log';
import { matchTotp, newTotpSecret, otpauthUrl } from './totp';

type SignedInUser = Extract<Principal, { type: 'user' }>;

const VERIFY_TTL_MS = 48 * 60 * 60_000;
const RESET_TTL_MS = 60 * 60_000;
const RECOVERY_CODE_COUNT = 10;

const appUrl = (ctx: ServiceContext, path: string) => new URL(path, ctx.env.APP_URL).toString();

async function limit(ctx: ServiceContext, key: string, message: string): Promise<void> {
  const { success } = await ctx.env.ACCOUNT_EMAIL_LIMITER.limit({ key });
  if (!success) throw new AppError('rate_limited', message);
}

async function userById(ctx: ServiceContext, userId: string): Promise<User> {
  const user = await ctx.global.first(users, eq(users.id, userId));
  if (!user) throw new AppError('unauthenticated', 'Session is invalid or expired');
  return user;
}

// ---------------------------------------------------------------- email verification

/** The token row and the email that carries its link: batch both with whatever asks for verification. */
export async function verificationStatements(ctx: ServiceContext, userId: string, email: string, kind: 'signup' | 'change') {
  const token = randomToken();
  const link = appUrl(ctx, `/verify-email?${new URLSearchParams({ token })}`);
  return [
    ctx.global.insert(userTokens).values({ id: newId('tok'), userId, purpose: 'verify_email', tokenHash: await sha256Hex(token), email, expiresAt: Date.now() + VERIFY_TTL_MS }),
    queueAccountEmail(ctx, {
      to: email,
      subject: kind === 'signup' ? 'Confirm your email address' : 'Confirm your new email address',
      text: `Confirm that this address is yours: ${link}\n\nThe link expires in 48 hours. If you did not ask for this, ignore this email.`,
    }),
  ] as const;
}

/** Sends a fresh verification link (rate limited); nothing to send for a verified address. */
export async function resendVerification(ctx: ServiceContext, principal: SignedInUser): Promise<void> {
  await limit(ctx, `verify-resend:${principal.userId}`, 'Too many verification emails; wait a minute and try again');
  const user = await userById(ctx, principal.userId);
  if (user.emailVerifiedAt) return;
  await ctx.global.batch(await verificationStatements(ctx, user.id, user.email, 'signup'));
}

/** A live (unused, unexpired) token of one purpose, by the token itself. */
async function liveToken(ctx: ServiceContext, token: string, purpose: 'verify_email' | 'password_reset') {
  const row = await ctx.global.first(
    userTokens,
    eq(userTokens.tokenHash, await sha256Hex(token)),
    eq(userTokens.purpose, purpose),
    isNull(userTokens.usedAt),
    gt(userTokens.expiresAt, Date.now()),
  );
  if (!row) throw new AppError('bad_request', 'This link is invalid, used or expired');
  return row;
}

/**
 * Proves an address: the account's own, or the new one of an email change,
 * which takes effect only now. Single use.
 */
export async function verifyEmail(ctx: ServiceContext, token: string): Promise<void> {
  const row = await liveToken(ctx, token, 'verify_email');
  const user = await userById(ctx, row.userId);
  const now = Date.now();
  const changing = row.email !== user.email;
  try {
    await ctx.global.batch([
      ctx.global.update(userTokens).set({ usedAt: now }).where(and(eq(userTokens.id, row.id), isNull(userTokens.usedAt))),
      ctx.global.update(users).set({ email: row.email, emailVerifiedAt: now }).where(eq(users.id, user.id)),
      securityEvent(ctx, user.id, changing ? 'email.changed' : 'email.verified', null, changing ? { from: user.email, to: row.email } : { email: row.email }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err, 'users.email')) throw new AppError('conflict', 'That address now belongs to another account');
    throw err;
  }
}

/** Marks an address proven by other means (an accepted invitation sent to it, a password reset link). */
export function markEmailVerified(ctx: ServiceContext, userId: string, email: string) {
  return ctx.global
    .update(users)
    .set({ emailVerifiedAt: Date.now() })
    .where(and(eq(users.id, userId), eq(users.email, email), isNull(users.emailVerifiedAt)));
}

/** Asks to move the account to a new address: nothing changes until the link sent there is followed. */
export async function requestEmailChange(ctx: ServiceContext, principal: SignedInUser, input: { email: string; currentPassword: string }, client: ClientInfo): Promise<void> {
  const user = await userById(ctx, principal.userId);
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) throw new AppError('validation_failed', 'Current password is incorrect', { fieldErrors: { currentPassword: ['Current password is incorrect'] } });
  if (input.email === user.email) throw new AppError('validation_failed', 'That is already your address', { fieldErrors: { email: ['That is already your address'] } });
  await limit(ctx, `email-change:${user.id}`, 'Too many requests; wait a minute and try again');
  await ctx.global.batch([
    ...(await verificationStatements(ctx, user.id, input.email, 'change')),
    queueAccountEmail(ctx, { to: user.email, subject: 'Your email address is being changed', text: `Someone signed in to your account asked to change its address to ${input.email}. It changes only once that address is confirmed. If this was not you, change your password now.` }),
    securityEvent(ctx, user.id, 'email.change_requested', client, { to: input.email }),
  ]);
}

// ---------------------------------------------------------------- passwords

/**
 * Emails a reset link when the address has an account. Callers run it after
 * answering (waitUntil), so the answer and its timing are the same for a known
 * and an unknown address; the rate limits come before, equally for both.
 */
export async function sendPasswordReset(ctx: ServiceContext, email: string, client: ClientInfo): Promise<void> {
  const user = await ctx.global.first(users, eq(users.email, email));
  if (!user) return;
  const token = randomToken();
  const link = appUrl(ctx, `/reset-password?${new URLSearchParams({ token })}`);
  await ctx.global.batch([
    ctx.global.insert(userTokens).values({ id: newId('tok'), userId: user.id, purpose: 'password_reset', tokenHash: await sha256Hex(token), email, expiresAt: Date.now() + RESET_TTL_MS }),
    queueAccountEmail(ctx, { to: email, subject: 'Reset your password', text: `Choose a new password: ${link}\n\nThe link works once and expires in an hour. If you did not ask for this, ignore this email: your password has not changed.` }),
    securityEvent(ctx, user.id, 'password.reset_requested', client),
  ]);
}

export async function limitPasswordResets(ctx: ServiceContext, email: string, client: ClientInfo): Promise<void> {
  await limit(ctx, `reset-email:${email}`, 'Too many reset requests; wait a minute and try again');
  await limit(ctx, `reset-ip:${client.ip}`, 'Too many reset requests; wait a minute and try again');
}

/**
 * Sets a new password from a reset link. The link proves the address, so an
 * unverified account becomes its owner's: every session ends (a squatter's
 * too), every outstanding reset link dies, and a 2FA set up before the address
 * was proven goes with them.
 */
export async function confirmPasswordReset(ctx: ServiceContext, input: { token: string; password: string }, client: ClientInfo): Promise<void> {
  const row = await liveToken(ctx, input.token, 'password_reset');
  const user = await userById(ctx, row.userId);
  const now = Date.now();
  const unproven = user.emailVerifiedAt === null;
  await ctx.global.batch([
    ctx.global
      .update(users)
      .set({ passwordHash: await hashPassword(ctx.env, input.password), emailVerifiedAt: user.emailVerifiedAt ?? now, ...(unproven ? { mfaSecret: null, mfaPendingSecret: null } : {}) })
      .where(eq(users.id, user.id)),
    ctx.global.update(userTokens).set({ usedAt: now }).where(and(eq(userTokens.userId, user.id), eq(userTokens.purpose, 'password_reset'), isNull(userTokens.usedAt))),
    ...(unproven ? [ctx.global.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id))] : []),
    revokeSessions(ctx, user.id),
    securityEvent(ctx, user.id, 'password.reset', client, unproven ? { addressProven: true } : undefined),
  ]);
}

/** Changes the password (the current one required) and ends every other session. */
export async function changePassword(ctx: ServiceContext, principal: SignedInUser, input: { currentPassword: string; newPassword: string }, client: ClientInfo): Promise<void> {
  const user = await userById(ctx, principal.userId);
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw new AppError('validation_failed', 'Current password is incorrect', { fieldErrors: { currentPassword: ['Current password is incorrect'] } });
  }
  await ctx.global.batch([
    ctx.global.update(users).set({ passwordHash: await hashPassword(ctx.env, input.newPassword) }).where(eq(users.id, user.id)),
    revokeSessions(ctx, user.id, principal.sessionId),
    securityEvent(ctx, user.id, 'password.changed', client),
  ]);
}

// ---------------------------------------------------------------- two-factor

/** Starts enrolment: a new secret, pending until a code from it is confirmed. */
export async function setUpMfa(ctx: ServiceContext, principal: SignedInUser): Promise<{ secret: string; otpauthUrl: string }> {
  if (principal.mfaEnabled) throw new AppError('conflict', 'Two-factor sign-in is already on; turn it off first');
  const secret = newTotpSecret();
  await ctx.global.update(users).set({ mfaPendingSecret: await sealTotpSecret(ctx.env, principal.userId, secret) }).where(eq(users.id, principal.userId));
  return { secret, otpauthUrl: otpauthUrl(secret, principal.email) };
}

/**
 * The TOTP secret a stored value holds, or null when there is none or it
 * does not open: that refuses every code, as a wrong one would, and is logged
 * for operators (the value was altered, or its key is gone).
 */
async function storedTotpSecret(ctx: ServiceContext, userId: string, stored: string | null): Promise<string | null> {
  if (stored === null) return null;
  const opened = await openTotpSecret(ctx.env, userId, stored);
  if (opened.ok) return opened.secret;
  ctx.log.error('stored TOTP secret does not open', { userId, reason: opened.reason });
  return null;
}

/** The pending secret, for showing the QR code again (the enrolment page). */
export async function pendingMfa(ctx: ServiceContext, principal: SignedInUser): Promise<{ secret: string; otpauthUrl: string } | null> {
  const user = await userById(ctx, principal.userId);
  const secret = await storedTotpSecret(ctx, user.id, user.mfaPendingSecret);
  return secret ? { secret, otpauthUrl: otpauthUrl(secret, user.email) } : null;
}

function newRecoveryCode(): string {
  const raw = Array.from(crypto.getRandomValues(new Uint8Array(10)), (b) => 'abcdefghjkmnpqrstuvwxyz23456789'[b % 31]).join('');
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

const normaliseRecoveryCode = (code: string) => code.trim().toLowerCase().replace(/[^a-z0-9]/g, '');

/** Turns 2FA on with a code from the pending secret; answers the ten recovery codes, the only time they are shown. */
export async function confirmMfa(ctx: ServiceContext, principal: SignedInUser, code: string, client: ClientInfo): Promise<{ recoveryCodes: string[] }> {
  const user = await userById(ctx, principal.userId);
  const pending = await storedTotpSecret(ctx, user.id, user.mfaPendingSecret);
  if (!pending) throw new AppError('conflict', 'Start two-factor setup first');
  const step = await matchTotp(pending, code, Date.now(), null);
  if (step === undefined) throw new AppError('validation_failed', 'That code is not right; check the time on your device', { fieldErrors: { code: ['That code is not right'] } });
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const hashes = await Promise.all(codes.map((c) => sha256Hex(normaliseRecoveryCode(c))));
  await ctx.global.batch([
    ctx.global.update(users).set({ mfaSecret: await sealTotpSecret(ctx.env, user.id, pending), mfaPendingSecret: null, mfaLastStep: step }).where(eq(users.id, user.id)),
    ctx.global.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
    ctx.global.insert(recoveryCodes).values(hashes.map((codeHash) => ({ id: newId('rc'), userId: user.id, codeHash }))),
    revokeSessions(ctx, user.id, principal.sessionId),
    securityEvent(ctx, user.id, 'mfa.enabled', client),
  ]);
  return { recoveryCodes: codes };
}

/**
 * Checks a second factor: a TOTP code not used before (its step is recorded
 * in the same statement that accepts it, so two requests cannot both use it),
 * or an unused recovery code, which is used up.
 */
export async function checkSecondFactor(ctx: ServiceContext, user: Pick<User, 'id' | 'mfaSecret' | 'mfaLastStep'>, code: string): Promise<'totp' | 'recovery_code' | null> {
  if (!user.mfaSecret) return null;
  // A secret that does not open matches no code; recovery codes, which do not need it, still work.
  const secret = await storedTotpSecret(ctx, user.id, user.mfaSecret);
  const step = secret ? await matchTotp(secret, code.trim(), Date.now(), user.mfaLastStep) : undefined;
  if (step !== undefined) {
    const taken = await ctx.global
      .update(users)
      .set({ mfaLastStep: step })
      .where(and(eq(users.id, user.id), or(isNull(users.mfaLastStep), lt(users.mfaLastStep, step))))
      .returning({ id: users.id });
    return taken.length > 0 ? 'totp' : null;
  }
  const normalised = normaliseRecoveryCode(code);
  if (normalised.length !== 10) return null;
  const used = await ctx.global
    .update(recoveryCodes)
    .set({ usedAt: Date.now() })
    .where(and(eq(recoveryCodes.userId, user.id), eq(recoveryCodes.codeHash, await sha256Hex(normalised)), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id });
  return used.length > 0 ? 'recovery_code' : null;
}

/** Turns 2FA off; needs a current code (or a recovery code), and ends every other session. */
export async function disableMfa(ctx: ServiceContext, principal: SignedInUser, code: string, client: ClientInfo): Promise<void> {
  const user = await userById(ctx, principal.userId);
  if (!user.mfaSecret) throw new AppError('conflict', 'Two-factor sign-in is not on');
  if (!(await checkSecondFactor(ctx, user, code))) throw new AppError('validation_failed', 'That code is not right', { fieldErrors: { code: ['That code is not right'] } });
  await ctx.global.batch([
    ctx.global.update(users).set({ mfaSecret: null, mfaPendingSecret: null, mfaLastStep: null }).where(eq(users.id, user.id)),
    ctx.global.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
    revokeSessions(ctx, user.id, principal.sessionId),
    securityEvent(ctx, user.id, 'mfa.disabled', client),
  ]);
}

/** How many recovery codes are left (the account page). */
export async function recoveryCodesLeft(ctx: ServiceContext, userId: string): Promise<number> {
  const rows = await ctx.global.select(recoveryCodes, eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt));
  return rows.length;
}

