import { clearSessionCookie, setSessionCookie } from '../../platform/auth/cookie';
import { requireUser } from '../../platform/auth/middleware';
import { publicApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { validate } from '../../platform/http/validate';
import { loginBody, signupBody } from './inputs';
import { describeMe, logIn, signUp } from './service';

/** Mounted at /api. */
export const authRoutes = publicApp()
  .post('/auth/signup', validate('json', signupBody), async (c) => {
    const result = await signUp(requestContext(c), c.req.valid('json'));
    setSessionCookie(c, result.token);
    return c.json(result, 201);
  })
  .post('/auth/login', validate('json', loginBody), async (c) => {
    const result = await logIn(requestContext(c), c.req.valid('json'));
    setSessionCookie(c, result.token);
    return c.json(result);
  })
  .post('/auth/logout', (c) => {
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .get('/me', async (c) => {
    const user = requireUser(c);
    return c.json(await describeMe(requestContext(c), user.userId));
  });
