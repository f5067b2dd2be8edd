import type { MiddlewareHandler } from 'hono';
import { describe } from '../../platform/http/route-doc';
import { z } from 'zod';
import type { AppEnv } from '../../platform/env';
import { publicApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { validate } from '../../platform/http/validate';
import { deadEvents, unprocessedEvents } from '../billing/sync/events';
import { tenantEconomics } from './economics';
import { economicsQuery } from './inputs';
import { identifyOperator, type Operator } from './operator';
import { economicsResponse, opsHealthResponse, replayedResponse, stripeEventsResponse, tenantSearchResponse, tenantUsageResponse, timelineResponse } from './outputs';
import { opsHealth, replayDeadEvent, searchTenants, tenantTimelineForOperator, tenantUsageForOperator } from './service';

const eventsQuery = z.strictObject({
  state: z.enum(['dead', 'unprocessed']).default('dead'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const eventParams = z.object({ id: z.string().startsWith('evt_') });
const tenantParams = z.object({ tenant: z.string().min(1).max(100) });
const timelineQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(200) });
const searchQuery = z.strictObject({ q: z.string().trim().min(1).max(200) });
const usageQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(90).default(30) });

/** Operators only (operator.ts): sets `operator` for the handler. */
const operatorOnly: MiddlewareHandler<AppEnv & { Variables: { operator: Operator } }> = async (c, next) => {
  c.set('operator', await identifyOperator(c));
  await next();
};

/** Operators, not tenants: the JSON API under /ops (the console's pages are pages.tsx). */
export const opsRoutes = publicApp()
  .get('/health', describe({ summary: 'Backlogs, error rate and latency', security: 'operator', errors: [401, 404], response: { status: 200, schema: opsHealthResponse } }), operatorOnly, async (c) => c.json(await opsHealth(requestContext(c))))
  .get('/economics', describe({ summary: "Each tenant's cost, revenue and margin over the last 30 days", security: 'operator', errors: [401, 404], response: { status: 200, schema: economicsResponse } }), operatorOnly, validate('query', economicsQuery), async (c) => c.json(await tenantEconomics(requestContext(c), c.req.valid('query'))))
  .get('/tenants', describe({ summary: 'Find tenants by id, slug or name', security: 'operator', errors: [401, 404], response: { status: 200, schema: tenantSearchResponse } }), operatorOnly, validate('query', searchQuery), async (c) => c.json(await searchTenants(requestContext(c), c.req.valid('query').q)))
  .get('/tenants/:tenant/usage', describe({ summary: "A tenant's metered usage per day", security: 'operator', errors: [401, 404], response: { status: 200, schema: tenantUsageResponse } }), operatorOnly, validate('param', tenantParams), validate('query', usageQuery), async (c) => {
    return c.json(await tenantUsageForOperator(requestContext(c), c.get('operator'), c.req.valid('param').tenant, c.req.valid('query').days));
  })
  .get('/tenants/:tenant/timeline', describe({ summary: "A tenant's timeline", security: 'operator', errors: [401, 404], response: { status: 200, schema: timelineResponse } }), operatorOnly, validate('param', tenantParams), validate('query', timelineQuery), async (c) => {
    return c.json(await tenantTimelineForOperator(requestContext(c), c.get('operator'), c.req.valid('param').tenant, c.req.valid('query').limit));
  })
  .get('/stripe-events', describe({ summary: 'Dead or unprocessed Stripe events', security: 'operator', errors: [401, 404], response: { status: 200, schema: stripeEventsResponse } }), operatorOnly, validate('query', eventsQuery), async (c) => {
    const { state, limit } = c.req.valid('query');
    const ctx = requestContext(c);
    const rows = state === 'dead' ? await deadEvents(ctx, limit) : await unprocessedEvents(ctx, Date.now(), limit);
    return c.json({
      events: rows.map(({ payload: _payload, ...row }) => row),
    });
  })
  .post('/stripe-events/:id/replay', describe({ summary: 'Re-enqueue a dead Stripe event', security: 'operator', errors: [401, 404, 409], response: { status: 202, schema: replayedResponse } }), operatorOnly, validate('param', eventParams), async (c) => {
    await replayDeadEvent(requestContext(c), c.get('operator'), c.req.valid('param').id);
    return c.json({ replayed: c.req.valid('param').id }, 202);
  });
