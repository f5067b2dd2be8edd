/**
 * Issue 12's done-when: per-tenant usage that matches what was done (and
 * nothing of another tenant's), one webhook followed by its trace id from
 * the request through the queue consumer to the Durable Object, and the
 * wide events' shape.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../src/platform/log/logger';
import { usageByDay, type UsageDay } from '../../src/platform/observe/meter';
import type { Usage } from '../../src/platform/observe/usage';
import { call, signUpOwner, type SignedUp } from './helpers';
import { capturedLines } from './log-capture';
import { checkoutAndPay, customerOf, eventsFor, eventually, postWebhook } from './stripe-helpers';

const UNITS = ['request', 'queue.message', 'cron', 'do.call', 'background'];
const METERED: (keyof UsageDay & keyof Usage)[] = ['d1RowsRead', 'd1RowsWritten', 'doCalls', 'queueMessages', 'emails'];

type WideEvent = LogLine & { usage: Usage };
const wideEvents = (): WideEvent[] => capturedLines().filter((line): line is WideEvent => UNITS.includes(line.msg));

/** What the captured wide events say a tenant used today. */
function usageFromEvents(tenantId: string): Omit<UsageDay, 'date'> {
  const mine = wideEvents().filter((e) => e.tenantId === tenantId);
  const sum = (key: keyof Usage) => mine.reduce((total, e) => total + e.usage[key], 0);
  return {
    requests: mine.filter((e) => e.msg === 'request').length,
    ...(Object.fromEntries(METERED.map((key) => [key, sum(key)])) as Omit<UsageDay, 'date' | 'requests'>),
  };
}

async function meteredToday(tenantId: string): Promise<Omit<UsageDay, 'date'>> {
  const [today] = await usageByDay(env, tenantId, 1);
  const { date: _date, ...counts } = today!;
  return counts;
}

/** Waits until the meter (written after each unit, in waitUntil) has caught up with the tenant's wide events. */
async function settled(tenant: SignedUp['tenant']) {
  return eventually(async () => {
    const metered = await meteredToday(tenant.id);
    expect(metered).toEqual(usageFromEvents(tenant.id));
    return metered;
  });
}

describe('usage metering', () => {
  it('sums each tenant\'s units of work per day: exactly what it did, nothing of another tenant\'s', async () => {
    const alpha = await signUpOwner('Alpha');
    const beta = await signUpOwner('Beta');
    const alphaBefore = await settled(alpha.tenant);
    const betaBefore = await settled(beta.tenant);

    for (const name of ['one', 'two', 'three']) {
      expect((await call('POST', `/api/t/${alpha.tenant.slug}/projects`, { token: alpha.token, body: { name } })).status).toBe(201);
    }
    for (let i = 0; i < 5; i++) expect((await call('GET', `/api/t/${beta.tenant.slug}/projects`, { token: beta.token })).status).toBe(200);
    expect((await call('POST', `/api/t/${beta.tenant.slug}/invitations`, { token: beta.token, body: { email: 'x@example.test', role: 'member' } })).status).toBe(201);

    const alphaAfter = await settled(alpha.tenant);
    const betaAfter = await settled(beta.tenant);
    expect(alphaAfter.requests - alphaBefore.requests).toBe(3);
    expect(betaAfter.requests - betaBefore.requests).toBe(6);
    // Three projects and their audit rows written; the reads and the seat check besides.
    expect(alphaAfter.d1RowsWritten - alphaBefore.d1RowsWritten).toBeGreaterThanOrEqual(6);
    expect(alphaAfter.emails - alphaBefore.emails).toBe(0);
    // Only beta invited anyone: one email queued, one seat reserved in its object.
    expect(betaAfter.emails - betaBefore.emails).toBe(1);
    expect(betaAfter.doCalls - betaBefore.doCalls).toBeGreaterThanOrEqual(1);
  });

  it('answers GET /api/t/:tenant/usage to owners and admins, and /ops/tenants/:tenant/usage to operators, in the contract\'s shape', async () => {
    const owner = await signUpOwner();
    const before = await settled(owner.tenant);
    const own = await call('GET', `/api/t/${owner.tenant.slug}/usage?days=7`, { token: owner.token });
    expect(own.status).toBe(200);
    expect(own.body.days).toHaveLength(7);
    // Today as metered before this read (the read itself is metered after its response).
    expect(own.body.days.at(-1)).toEqual({ date: new Date().toISOString().slice(0, 10), ...before });
    expect(Object.keys(own.body.days[0]).sort()).toEqual(['d1RowsRead', 'd1RowsWritten', 'date', 'doCalls', 'emails', 'queueMessages', 'requests']);

    const ops = await call('GET', `/ops/tenants/${owner.tenant.id}/usage?days=30`, { headers: { authorization: 'Bearer test-ops-token' } });
    expect(ops.status).toBe(200);
    expect(ops.body.days).toHaveLength(30);
    expect((await call('GET', `/api/t/${owner.tenant.slug}/usage?days=0`, { token: owner.token })).status).toBe(400);
    expect((await call('GET', `/ops/tenants/${owner.tenant.id}/usage`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });
});

describe('wide events and traces', () => {
  it('writes one request event with ids, principal, route pattern, status, duration and usage; answers with traceparent', async () => {
    const owner = await signUpOwner();
    const res = await call('GET', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token });
    const traceparent = res.headers.get('traceparent');
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, spanId] = traceparent!.split('-');
    const events = wideEvents().filter((e) => e.requestId === res.headers.get('x-request-id') && e.msg === 'request');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      level: 'info',
      traceId,
      spanId,
      tenantId: owner.tenant.id,
      principal: 'user',
      route: '/api/t/:tenant/projects',
      method: 'GET',
      status: 200,
      durationMs: expect.any(Number),
      usage: { d1Queries: expect.any(Number), d1RoundTrips: expect.any(Number), stripeCalls: 0, queueMessages: 0 },
    });
    expect(events[0]!.usage.d1RoundTrips).toBeGreaterThan(0);
    expect(events[0]!.usage.d1Queries).toBeGreaterThanOrEqual(events[0]!.usage.d1RoundTrips);
  });

  it('reports the work a request left in waitUntil (the invitation email delivered after the response) in a background event of its trace', async () => {
    const owner = await signUpOwner();
    const res = await call('POST', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token, body: { email: 'later@example.test', role: 'member' } });
    expect(res.status).toBe(201);
    const requestId = res.headers.get('x-request-id');
    const background = await eventually(async () => {
      const found = wideEvents().find((e) => e.msg === 'background' && e.requestId === requestId);
      expect(found).toBeDefined();
      return found!;
    });
    const request = wideEvents().find((e) => e.msg === 'request' && e.requestId === requestId);
    expect(background).toMatchObject({ traceId: request?.traceId, tenantId: owner.tenant.id, route: '/api/t/:tenant/invitations' });
    // The outbox read and the sent mark: D1 work no request event reported.
    expect(background.usage.d1Queries).toBeGreaterThan(0);
    expect(background.usage.d1RowsWritten).toBeGreaterThan(0);
  });

  it('follows one webhook by its trace id: the request, the queue consumer, the Durable Object', async () => {
    const owner = await signUpOwner();
    const { cursor } = await checkoutAndPay(owner, 3);
    const created = (await eventsFor(await customerOf(owner), cursor)).events.find((e) => e.type === 'customer.subscription.created');
    if (!created) throw new Error('no subscription event');
    const traceId = crypto.randomUUID().replaceAll('-', '');
    const res = await call('POST', '/webhooks/stripe', {
      rawBody: created.payload,
      headers: { 'stripe-signature': created.signature, 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-`));

    const trace = await eventually(async () => {
      const joined = wideEvents().filter((e) => e.traceId === traceId);
      expect(joined.map((e) => e.msg)).toEqual(expect.arrayContaining(['request', 'queue.message', 'do.call']));
      return joined;
    });
    const request = trace.find((e) => e.msg === 'request')!;
    const message = trace.find((e) => e.msg === 'queue.message')!;
    const objectCall = trace.find((e) => e.msg === 'do.call')!;
    expect(request).toMatchObject({ route: '/webhooks/stripe', principal: 'stripe', parentSpanId: '00f067aa0ba902b7', usage: { queueMessages: 1 } });
    expect(message).toMatchObject({ route: 'stripe-events', principal: 'system', tenantId: owner.tenant.id, parentSpanId: request.spanId, requestId: request.requestId });
    expect(message.usage.stripeCalls).toBeGreaterThanOrEqual(1);
    expect(message.usage.doCalls).toBeGreaterThanOrEqual(1);
    expect(objectCall).toMatchObject({ route: 'setLimits', tenantId: owner.tenant.id, parentSpanId: message.spanId });
    await postWebhook(created);
  });
});
