import { clearSessionCookie, setSessionCookie } from '../../platform/auth/cookie';
import { requireUser } from '../../platform/auth/middleware';
import { publicApp } from '../../platform/http/apps';
import { clientInfo } from '../../platform/http/client';
import { requestContext } from '../../platform/http/request-context';
import { validate } from '../../platform/http/validate';
import { deliverAccountOutbox } from '../../platform/email/outbox';
import { loginBody, mfaLoginBody, signupBody } from './inputs';
import { logIn, logInWithMfa, logOut, meRead, signUp, viewerOf } from './service';

/** Mounted at /api. */
export const authRoutes = publicApp()
  .post('/auth/signup', validate('json', signupBody), async (c) => {
    const input = c.req.valid('json');
    // Created or not, the same answer: whether an address has an account is told only to its inbox.
    await signUp(requestContext(c), input, clientInfo(c));
    c.executionCtx.waitUntil(deliverAccountOutbox(c.env, { log: c.var.log }));
    return c.json({ status: 'confirmation_sent' as const, email: input.email }, 202);
  })
  .post('/auth/login', validate('json', loginBody), async (c) => {
    const result = await logIn(requestContext(c), c.req.valid('json'), clientInfo(c));
    if (result.mfaRequired) return c.json({ mfaRequired: true, mfaToken: result.mfaToken });
    setSessionCookie(c, result.token);
    return c.json({ user: result.user, token: result.token });
  })
  .post('/auth/login/mfa', validate('json', mfaLoginBody), async (c) => {
    const result = await logInWithMfa(requestContext(c), c.req.valid('json'), clientInfo(c));
    setSessionCookie(c, result.token);
    return c.json(result);
  })
  .post('/auth/logout', async (c) => {
    const principal = c.var.principal;
    if (principal?.type === 'user') await logOut(requestContext(c), principal, clientInfo(c));
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .get('/me', meRead.batched(), async (c) => {
    requireUser(c);
    const { user: me, memberships } = viewerOf(await meRead.result(c));
    const { emailVerified, mfaEnabled, ...profile } = me;
    return c.json({ user: profile, memberships, emailVerified, mfaEnabled });
  });
