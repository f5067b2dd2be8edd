/**
 * The benchmark's comparators (scripts/bench-api.ts), bundled like the app
 * and served beside it against the same local D1. Not part of the app.
 *
 * - `GET /hello`: a bare Hono hello, the cost of a request with no I/O;
 * - `GET /one-query?id=…`: one D1 point query, the user lookup every
 *   authenticated request of the app starts with, by primary key.
 */
import { Hono } from 'hono';

const app = new Hono<{ Bindings: { DB: D1Database } }>()
  .get('/hello', (c) => c.text('Hello Hono!'))
  .get('/one-query', async (c) => {
    const user = await c.env.DB.prepare('SELECT id, email FROM users WHERE id = ?').bind(c.req.query('id') ?? '').first();
    return user ? c.json({ user }) : c.json({ error: { code: 'not_found', message: 'No such user' } }, 404);
  });

export default app;
