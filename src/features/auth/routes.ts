import { describe } from '../../platform/http/route-doc';
import { loginOut, meOut, mfaLoginOut, signupOut } from './outputs';
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
  .post(
    '/auth/signup',
    describe({ summary: 'Sign up (and optionally create an organisation); the same answer whether or not the address has an account', security: 'none', errors: [429], response: { status: 202, schema: signupOut } }),
    validate('json', signupBody),
    async (c) => {
      const input = c.req.valid('json');
      // Created or not, the same answer: whether an address has an account is told only to its inbox.
      await signUp(requestContext(c), input, clientInfo(c));
      c.executionCtx.waitUntil(deliverAccountOutbox(c.env, { log: c.get('log') }));
      return c.json({ status: 'confirmation_sent' as const, email: input.email }, 202);
    },
  )
  .post('/auth/login', describe({ summary: 'Sign in (or learn that a second factor is due)', security: 'none', errors: [429], response: { status: 200, schema: loginOut } }), validate('json', loginBody), async (c) => {
    const result = await logIn(requestContext(c), c.req.valid('json'), clientInfo(c));
    if (result.mfaRequired) return c.json({ mfaRequired: true, mfaToken: result.mfaToken });
    setSessionCookie(c, result.token);
    return c.json({ user: result.user, token: result.token });
  })
  .post('/auth/login/mfa', describe({ summary: 'Finish signing in with a two-factor code', security: 'none', errors: [429], response: { status: 200, schema: mfaLoginOut } }), validate('json', mfaLoginBody), async (c) => {
    const result = await logInWithMfa(requestContext(c), c.req.valid('json'), clientInfo(c));
    setSessionCookie(c, result.token);
    return c.json(result);
  })
  .post('/auth/logout', describe({ summary: 'Sign out (ends the session, clears the cookie)', security: 'none', response: { status: 204 } }), async (c) => {
    const principal = c.get('principal');
    if (principal?.type === 'user') await logOut(requestContext(c), principal, clientInfo(c));
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .get('/me', describe({ summary: 'The signed-in person and their organisations', security: 'user', errors: [401, 403], response: { status: 200, schema: meOut } }), meRead.batched(), async (c) => {
    requireUser(c);
    const { user: me, memberships } = viewerOf(await meRead.result(c));
    const { emailVerified, mfaEnabled, ...profile } = me;
    return c.json({ user: profile, memberships, emailVerified, mfaEnabled });
  });
