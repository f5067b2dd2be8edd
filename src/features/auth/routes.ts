import { describe } from '../../platform/http/route-doc';
import { loginOut, meOut, signupOut } from './outputs';
import { clearSessionCookie, setSessionCookie } from '../../platform/auth/cookie';
import { requireUser } from '../../platform/auth/middleware';
import { publicApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { validate } from '../../platform/http/validate';
import { loginBody, signupBody } from './inputs';
import { describeMe, logIn, signUp } from './service';

/** Mounted at /api. */
export const authRoutes = publicApp()
  .post('/auth/signup', describe({ summary: 'Sign up (and optionally create an organisation)', security: 'none', errors: [409], response: { status: 201, schema: signupOut } }), validate('json', signupBody), async (c) => {
    const result = await signUp(requestContext(c), c.req.valid('json'));
    setSessionCookie(c, result.token);
    return c.json(result, 201);
  })
  .post('/auth/login', describe({ summary: 'Sign in', security: 'none', errors: [429], response: { status: 200, schema: loginOut } }), validate('json', loginBody), async (c) => {
    const result = await logIn(requestContext(c), c.req.valid('json'));
    setSessionCookie(c, result.token);
    return c.json(result);
  })
  .post('/auth/logout', describe({ summary: 'Sign out (clears the cookie)', security: 'none', response: { status: 204 } }), (c) => {
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .get('/me', describe({ summary: 'The signed-in person and their organisations', security: 'user', errors: [401, 403], response: { status: 200, schema: meOut } }), async (c) => {
    const user = requireUser(c);
    return c.json(await describeMe(requestContext(c), user.userId));
  });
