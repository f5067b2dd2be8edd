import { requireUser, usersOnly } from '../../platform/auth/middleware';
import { deliverAccountOutbox } from '../../platform/email/outbox';
import { publicApp } from '../../platform/http/apps';
import { clientInfo } from '../../platform/http/client';
import { requestContext } from '../../platform/http/request-context';
import { validate } from '../../platform/http/validate';
import { listSessions, revokeSession, revokeSessions } from '../auth/sessions';
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
  .post('/auth/verify-email', validate('json', tokenBody), async (c) => {
    await verifyEmail(requestContext(c), c.req.valid('json').token);
    return c.body(null, 204);
  })
  .post('/auth/verify-email/resend', usersOnly(), async (c) => {
    await resendVerification(requestContext(c), requireUser(c));
    c.executionCtx.waitUntil(deliverAccountOutbox(c.env, { log: c.var.log }));
    return c.json({ status: 'sent' }, 202);
  })
  .post('/auth/password-reset', validate('json', passwordResetBody), async (c) => {
    const { email } = c.req.valid('json');
    const client = clientInfo(c);
    const ctx = requestContext(c);
    await limitPasswordResets(ctx, email, client);
    // Whether the address has an account is decided after the answer: same body, same time.
    c.executionCtx.waitUntil(sendPasswordReset(ctx, email, client).then(() => deliverAccountOutbox(c.env, { log: c.var.log })));
    return c.json({ status: 'sent' }, 202);
  })
  .post('/auth/password-reset/confirm', validate('json', passwordResetConfirmBody), async (c) => {
    await confirmPasswordReset(requestContext(c), c.req.valid('json'), clientInfo(c));
    return c.body(null, 204);
  })
  .post('/me/password', usersOnly(), validate('json', changePasswordBody), async (c) => {
    await changePassword(requestContext(c), requireUser(c), c.req.valid('json'), clientInfo(c));
    return c.body(null, 204);
  })
  .post('/me/email', usersOnly(), validate('json', changeEmailBody), async (c) => {
    await requestEmailChange(requestContext(c), requireUser(c), c.req.valid('json'), clientInfo(c));
    c.executionCtx.waitUntil(deliverAccountOutbox(c.env, { log: c.var.log }));
    return c.json({ status: 'verification_sent' }, 202);
  })
  .get('/me/sessions', usersOnly(), async (c) => {
    const user = requireUser(c);
    return c.json({ sessions: await listSessions(requestContext(c), user.userId, user.sessionId) });
  })
  .delete('/me/sessions', usersOnly(), async (c) => {
    const user = requireUser(c);
    const ctx = requestContext(c);
    await ctx.global.batch([revokeSessions(ctx, user.userId, user.sessionId), securityEvent(ctx, user.userId, 'sessions.revoked_others', clientInfo(c))]);
    return c.body(null, 204);
  })
  .delete('/me/sessions/:id', usersOnly(), validate('param', sessionParams), async (c) => {
    const user = requireUser(c);
    const ctx = requestContext(c);
    const { id } = c.req.valid('param');
    await revokeSession(ctx, user.userId, id);
    await securityEvent(ctx, user.userId, 'session.revoked', clientInfo(c), { sessionId: id });
    return c.body(null, 204);
  })
  .post('/me/mfa/setup', usersOnly(), async (c) => {
    return c.json(await setUpMfa(requestContext(c), requireUser(c)));
  })
  .post('/me/mfa/confirm', usersOnly(), validate('json', codeBody), async (c) => {
    return c.json(await confirmMfa(requestContext(c), requireUser(c), c.req.valid('json').code, clientInfo(c)));
  })
  .post('/me/mfa/disable', usersOnly(), validate('json', codeBody), async (c) => {
    await disableMfa(requestContext(c), requireUser(c), c.req.valid('json').code, clientInfo(c));
    return c.body(null, 204);
  })
  .get('/me/security-log', usersOnly(), validate('query', securityLogQuery), async (c) => {
    return c.json(await listSecurityLog(requestContext(c), requireUser(c).userId, c.req.valid('query')));
  });
