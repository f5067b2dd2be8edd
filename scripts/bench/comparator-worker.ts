/**
 * The benchmark's comparators (scripts/bench-api.ts), bundled like the app
 * and served beside it against the same local D1. Not part of the app.
 *
 * - `GET /hello`: a bare Hono hello, the cost of a request with no I/O;
 * - `GET /one-query?id=…`: one D1 point query, the user lookup every
 *   authenticated request of the app starts with, by primary key;
 * - `GET /floor/:route?sessionId=…&userId=…&slug=…`: a route's floor, the
 *   D1 statements that app route issues (floor-statements.json, checked
 *   against the app by test/workers/bench-floors.test.ts), alone: in one D1
 *   session at the primary as the app's authenticated requests are, one
 *   statement or one batch, the rows answered as JSON. No authentication,
 *   rate limit, log line or row mapping: what the route costs at the least.
 */
import { Hono } from 'hono';
import floors from './floor-statements.json';

type Floor = keyof typeof floors;
const isFloor = (name: string): name is Floor => Object.hasOwn(floors, name);

const app = new Hono<{ Bindings: { DB: D1Database } }>()
  .get('/hello', (c) => c.text('Hello Hono!'))
  .get('/one-query', async (c) => {
    const user = await c.env.DB.prepare('SELECT id, email FROM users WHERE id = ?').bind(c.req.query('id') ?? '').first();
    return user ? c.json({ user }) : c.json({ error: { code: 'not_found', message: 'No such user' } }, 404);
  })
  .get('/floor/:route', async (c) => {
    const route = c.req.param('route');
    if (!isFloor(route)) return c.json({ error: { code: 'not_found', message: `No floor for ${route}` } }, 404);
    const named: Record<string, unknown> = { $sessionId: c.req.query('sessionId'), $userId: c.req.query('userId'), $slug: c.req.query('slug'), $now: Date.now() };
    const db = c.env.DB.withSession('first-primary');
    const statements = floors[route].map(({ sql, params }) => db.prepare(sql).bind(...params.map((p) => (typeof p === 'string' && p in named ? named[p] : p))));
    // The app's drizzle reads one statement as raw rows, and a batch as D1 answers it. The first statement is
    // the caller's resolution: no row means the parameters named no live session (the app's 401).
    const [first] = statements;
    const { rows, resolutionRows } =
      statements.length === 1 && first
        ? await first.raw().then((raw) => ({ rows: raw, resolutionRows: raw.length }))
        : await db.batch(statements).then((results) => ({ rows: results.map((result) => result.results), resolutionRows: results[0]?.results.length ?? 0 }));
    return resolutionRows > 0 ? c.json({ rows }) : c.json({ error: { code: 'not_found', message: 'No live session for these parameters' } }, 404);
  });

export default app;
