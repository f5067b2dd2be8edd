import { Hono } from 'hono';
import { clearSessionCookie, setSessionCookie } from '../../platform/auth/cookie';
import { requireUser } from '../../platform/auth/middleware';
import type { AppEnv } from '../../platform/env';
import { validate } from '../../platform/http/validate';
import { loginBody, signupBody } from './schema';
import { describeMe, logIn, signUp } from './service';

export const authRoutes = new Hono<AppEnv>()
  .post('/auth/signup', validate('json', signupBody), async (c) => {
    const result = await signUp(c.env, c.req.valid('json'), c.var.requestId);
    setSessionCookie(c, result.token);
    return c.json(result, 201);
  })
  .post('/auth/login', validate('json', loginBody), async (c) => {
    const result = await logIn(c.env, c.req.valid('json'));
    setSessionCookie(c, result.token);
    return c.json(result);
  })
  .post('/auth/logout', (c) => {
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .get('/me', async (c) => {
    const user = requireUser(c);
    return c.json(await describeMe(c.env, user.userId));
  });
