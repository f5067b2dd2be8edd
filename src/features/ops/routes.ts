import { describe } from '../../platform/http/route-doc';
import { replayedResponse, stripeEventsResponse, timelineResponse } from './outputs';
import { z } from 'zod';
import { secretsEqual } from '../../platform/crypto';
import { AppError } from '../../platform/errors';
import { publicApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { validate } from '../../platform/http/validate';
import { deadEvents, replayEvent, unprocessedEvents } from '../billing/sync/events';
import { tenantTimeline } from './timeline';

const eventsQuery = z.strictObject({
  state: z.enum(['dead', 'unprocessed']).default('dead'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const eventParams = z.object({ id: z.string().startsWith('evt_') });
const timelineParams = z.object({ tenant: z.string().min(1).max(100) });
const timelineQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(200) });

/**
 * Operators, not tenants: a separate bearer token (OPS_TOKEN), compared in
 * constant time. Without the secret set, /ops does not exist.
 */
export const opsRoutes = publicApp()
  .use(async function requireOperator(c, next) {
    const expected = c.env.OPS_TOKEN;
    if (!expected) throw new AppError('not_found', 'Route not found');
    const presented = /^Bearer\s+(\S+)$/i.exec(c.req.header('Authorization') ?? '')?.[1] ?? '';
    if (!(await secretsEqual(presented, expected))) throw new AppError('unauthenticated', 'Operator token required');
    await next();
  })
  .get('/stripe-events', describe({ summary: 'Dead or unprocessed Stripe events', security: 'operator', errors: [401, 404], response: { status: 200, schema: stripeEventsResponse } }), validate('query', eventsQuery), async (c) => {
    const { state, limit } = c.req.valid('query');
    const ctx = requestContext(c);
    const rows = state === 'dead' ? await deadEvents(ctx, limit) : await unprocessedEvents(ctx, Date.now(), limit);
    return c.json({
      events: rows.map(({ payload: _payload, ...row }) => row),
    });
  })
  .post('/stripe-events/:id/replay', describe({ summary: 'Re-enqueue a Stripe event', security: 'operator', errors: [401, 404, 409], response: { status: 202, schema: replayedResponse } }), validate('param', eventParams), async (c) => {
    await replayEvent(requestContext(c), c.req.valid('param').id);
    return c.json({ replayed: c.req.valid('param').id }, 202);
  })
  .get('/tenants/:tenant/timeline', describe({ summary: "A tenant's timeline", security: 'operator', errors: [401, 404], response: { status: 200, schema: timelineResponse } }), validate('param', timelineParams), validate('query', timelineQuery), async (c) => {
    return c.json(await tenantTimeline(requestContext(c), c.req.valid('param').tenant, c.req.valid('query').limit));
  });
