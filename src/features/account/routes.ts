import { requireUser, usersOnly } from '../../platform/auth/middleware';
import { deliverAccountOutbox } from '../../platform/email/outbox';
import { publicApp } from '../../platform/http/apps';
import { clientInfo } from '../../platform/http/client';
import { requestContext } from '../../platform/http/request-context';
import { describe } from '../../platform/http/route-doc';
import { validate } from '../../platform/http/validate';
import { listSessions, revokeSession, revokeSessions } from '../auth/sessions';
import { mfaSetupResponse, recoveryCodesResponse, securityLogResponse, sentResponse, sessionListResponse, verificationSentResponse } from './outputs';
import { changeEmailBody, changePasswordBody, codeBody, passwordResetBody, passwordResetConfirmBody, securityLogQuery, sessionParams, tokenBody } from './inputs';
import { listSecurityLog, securityEvent } from './security-log';
import {
  changePassword,
  confirmMfa,
  confirmPasswordReset,
  disableMfa,
  limitPasswordResets,
  requestEmailChange,
  resendVerification,
  sendPasswordReset,
  setUpMfa,
  verifyEmail,
} from './service';

/** Mounted at /api. */
export const accountRoutes = publicApp()
  .post('/auth/verify-email', describe({ summary: 'Confirm an email address with its emailed token', security: 'none', errors: [409], response: { status: 204 } }), validate('json', tokenBody), async (c) => {
    await verifyEmail(requestContext(c), c.req.valid('json').token);
    return c.body(null, 204);
  })
  .post('/auth/verify-email/resend', describe({ summary: 'Email the confirmation link again', errors: [429], response: { status: 202, schema: sentResponse } }), usersOnly(), async (c) => {
    await resendVerification(requestContext(c), requireUser(c));
    c.executionCtx.waitUntil(deliverAccountOutbox(c.env, { log: c.get('log') }));
    return c.json({ status: 'sent' }, 202);
  })
  .post('/auth/password-reset', describe({ summary: 'Email a password reset link (same answer whether or not the address has an account)', security: 'none', errors: [429], response: { status: 202, schema: sentResponse } }), validate('json', passwordResetBody), async (c) => {
    const { email } = c.req.valid('json');
    const client = clientInfo(c);
    const ctx = requestContext(c);
    await limitPasswordResets(ctx, email, client);
    // Whether the address has an account is decided after the answer: same body, same time.
    c.executionCtx.waitUntil(sendPasswordReset(ctx, email, client).then(() => deliverAccountOutbox(c.env, { log: c.get('log') })));
    return c.json({ status: 'sent' }, 202);
  })
  .post('/auth/password-reset/confirm', describe({ summary: 'Set a new password with an emailed reset token (ends every session)', security: 'none', response: { status: 204 } }), validate('json', passwordResetConfirmBody), async (c) => {
    await confirmPasswordReset(requestContext(c), c.req.valid('json'), clientInfo(c));
    return c.body(null, 204);
  })
  .post('/me/password', describe({ summary: 'Change your password (ends your other sessions)', response: { status: 204 } }), usersOnly(), validate('json', changePasswordBody), async (c) => {
    await changePassword(requestContext(c), requireUser(c), c.req.valid('json'), clientInfo(c));
    return c.body(null, 204);
  })
  .post('/me/email', describe({ summary: 'Change your email address (confirmed through a link sent to it)', errors: [409, 429], response: { status: 202, schema: verificationSentResponse } }), usersOnly(), validate('json', changeEmailBody), async (c) => {
    await requestEmailChange(requestContext(c), requireUser(c), c.req.valid('json'), clientInfo(c));
    c.executionCtx.waitUntil(deliverAccountOutbox(c.env, { log: c.get('log') }));
    return c.json({ status: 'verification_sent' }, 202);
  })
  .get('/me/sessions', describe({ summary: 'Your live sessions', response: { status: 200, schema: sessionListResponse } }), usersOnly(), async (c) => {
    const user = requireUser(c);
    return c.json({ sessions: await listSessions(requestContext(c), user.userId, user.sessionId) });
  })
  .delete('/me/sessions', describe({ summary: 'End every session but this one', response: { status: 204 } }), usersOnly(), async (c) => {
    const user = requireUser(c);
    const ctx = requestContext(c);
    await ctx.global.batch([revokeSessions(ctx, user.userId, user.sessionId), securityEvent(ctx, user.userId, 'sessions.revoked_others', clientInfo(c))]);
    return c.body(null, 204);
  })
  .delete('/me/sessions/:id', describe({ summary: 'End one of your sessions', errors: [404], response: { status: 204 } }), usersOnly(), validate('param', sessionParams), async (c) => {
    const user = requireUser(c);
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    await revokeSession(ctx, user.userId, id);
    await securityEvent(ctx, user.userId, 'session.revoked', clientInfo(c), { sessionId: id });
    return c.body(null, 204);
  })
  .post('/me/mfa/setup', describe({ summary: 'Start two-factor setup: a TOTP secret to confirm', errors: [409], response: { status: 200, schema: mfaSetupResponse } }), usersOnly(), async (c) => {
    return c.json(await setUpMfa(requestContext(c), requireUser(c)));
  })
  .post('/me/mfa/confirm', describe({ summary: 'Turn two-factor on with a first code (answers recovery codes once)', errors: [409], response: { status: 200, schema: recoveryCodesResponse } }), usersOnly(), validate('json', codeBody), async (c) => {
    return c.json(await confirmMfa(requestContext(c), requireUser(c), c.req.valid('json').code, clientInfo(c)));
  })
  .post('/me/mfa/disable', describe({ summary: 'Turn two-factor off with a code', errors: [409], response: { status: 204 } }), usersOnly(), validate('json', codeBody), async (c) => {
    await disableMfa(requestContext(c), requireUser(c), c.req.valid('json').code, clientInfo(c));
    return c.body(null, 204);
  })
  .get('/me/security-log', describe({ summary: 'Your account security events, newest first', response: { status: 200, schema: securityLogResponse } }), usersOnly(), validate('query', securityLogQuery), async (c) => {
    return c.json(await listSecurityLog(requestContext(c), requireUser(c).userId, c.req.valid('query')));
  });
