/**
 * Issue 13 in the product: the operator console's unit economics. Each
 * tenant's meter rolls its last 30 days up into D1 (its alarm, run here at
 * once); /ops/economics and /ops/console/economics show the cost beside the
 * revenue and list the tenants that cost more than they pay; operators only.
 */
import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import prices from '../../docs/economics/prices.json';
import { USAGE_KEPT_DAYS, usageByDay, utcDate, type MeterCounts } from '../../src/platform/observe/meter';
import { emptyUsage } from '../../src/platform/observe/usage';
import { DAY_MS } from '../../src/platform/retention/policy';
import { Browser } from './browser';
import { call, expectErrorShape, signUpOwner, type SignedUp } from './helpers';
import { capturedLines } from './log-capture';
import { eventually } from './stripe-helpers';

const ops = { authorization: `Bearer ${env.OPS_TOKEN}` };

interface Row {
  tenant: { id: string; name: string };
  plan: string;
  status: string;
  seats: number | null;
  usage: { requests: number; d1RowsRead: number; d1RowsWritten: number; doCalls: number; queueMessages: number; emails: number };
  costUsd: number;
  revenueUsd: number;
  marginUsd: number;
}

/** Waits for the meter (written after each response) to hold `requests` requests today, then runs its rollup alarm. */
async function rollUp(tenant: SignedUp['tenant'], requests: number) {
  await eventually(async () => expect((await usageByDay(env, tenant.id, 1))[0]?.requests).toBe(requests));
  const meter = env.USAGE_METER.get(env.USAGE_METER.idFromName(tenant.id));
  expect(await runDurableObjectAlarm(meter)).toBe(true);
}

/** Makes the tenant a paying pro customer of `seats` seats, as the webhook consumer would have stored it. */
async function payingPro(tenant: SignedUp['tenant'], seats: number) {
  await env.DB.prepare("UPDATE subscriptions SET plan = 'pro', status = 'active', seat_quantity = ?, stripe_customer_id = ? WHERE tenant_id = ?")
    .bind(seats, `cus_econ_${tenant.id}`, tenant.id)
    .run();
}

/** Dollars per unit of a resource, read from prices.json here so the test does not share the code under test. */
const per = (resource: keyof typeof prices.cloudflare & string) => {
  const p = prices.cloudflare[resource] as { price: number; per: number };
  return p.price / p.per;
};

async function economics(): Promise<{ byCost: Row[]; losses: Row[] }> {
  const res = await call('GET', '/ops/economics?limit=200', { headers: ops });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ windowDays: 30, pricesReadOn: prices.readOn });
  // Both lists in one D1 round trip, and no tenant's object asked.
  const line = capturedLines().find((l) => l.msg === 'request' && l.requestId === res.headers.get('x-request-id'));
  expect(line?.usage).toMatchObject({ d1RoundTrips: 1, doCalls: 0 });
  return { byCost: res.body.byCost.tenants, losses: res.body.losses.tenants };
}

describe('unit economics per tenant', () => {
  it('shows a tenant\'s 30 days of metered cost beside its revenue; a free tenant with usage costs more than it pays, a paying one with little usage does not', async () => {
    const free = await signUpOwner('Free Rider');
    for (const name of ['one', 'two']) expect((await call('POST', `/api/t/${free.tenant.slug}/projects`, { token: free.token, body: { name } })).status).toBe(201);
    expect((await call('POST', `/api/t/${free.tenant.slug}/invitations`, { token: free.token, body: { email: 'guest@example.test', role: 'member' } })).status).toBe(201);
    const paying = await signUpOwner('Paying Customer');
    await payingPro(paying.tenant, 5);
    expect((await call('GET', `/api/t/${paying.tenant.slug}/projects`, { token: paying.token })).status).toBe(200);
    // Sign-up (1 request) plus the calls above.
    await rollUp(free.tenant, 4);
    await rollUp(paying.tenant, 2);

    const { byCost, losses } = await economics();
    const freeRow = byCost.find((r) => r.tenant.id === free.tenant.id);
    const payingRow = byCost.find((r) => r.tenant.id === paying.tenant.id);
    const metered = (await usageByDay(env, free.tenant.id, 30)).reduce(
      (sum, d) => ({ requests: sum.requests + d.requests, d1RowsRead: sum.d1RowsRead + d.d1RowsRead, d1RowsWritten: sum.d1RowsWritten + d.d1RowsWritten, doCalls: sum.doCalls + d.doCalls, queueMessages: sum.queueMessages + d.queueMessages, emails: sum.emails + d.emails }),
      { requests: 0, d1RowsRead: 0, d1RowsWritten: 0, doCalls: 0, queueMessages: 0, emails: 0 },
    );
    expect(freeRow?.usage).toEqual(metered);
    expect(metered).toMatchObject({ requests: 4, emails: 1 });
    expect(metered.doCalls).toBeGreaterThanOrEqual(1);
    // By hand: requests, rows, object calls and the meter's add for each request and call, a message written, read and
    // deleted, a data point per unit of work, the email.
    const u = metered;
    const expected =
      u.requests * per('workersRequests') +
      u.d1RowsRead * per('d1RowsRead') +
      u.d1RowsWritten * per('d1RowsWritten') +
      (2 * u.doCalls + u.requests) * per('doRequests') +
      3 * u.queueMessages * per('queueOperations') +
      (u.requests + u.queueMessages + u.doCalls) * per('analyticsEngineDataPoints') +
      u.emails * per('emailsSent');
    expect(freeRow?.costUsd).toBeCloseTo(expected, 7);
    expect(freeRow?.costUsd).toBeGreaterThan(0);
    expect(freeRow).toMatchObject({ plan: 'free', revenueUsd: 0 });
    expect(freeRow?.marginUsd).toBeCloseTo(-expected, 7);

    // Pro at $12 a seat (billing/plan-prices.ts), 5 seats.
    expect(payingRow).toMatchObject({ plan: 'pro', status: 'active', seats: 5, revenueUsd: 60 });
    expect(payingRow?.costUsd).toBeGreaterThan(0);
    expect(payingRow?.marginUsd).toBeCloseTo(60 - (payingRow?.costUsd ?? 0), 7);

    expect(losses.map((r) => r.tenant.id)).toContain(free.tenant.id);
    expect(losses.map((r) => r.tenant.id)).not.toContain(paying.tenant.id);
    expect(losses.every((r) => r.costUsd > r.revenueUsd)).toBe(true);
    const costs = byCost.map((r) => r.costUsd);
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
  });

  it('lists a page at a time', async () => {
    for (const name of ['Page One', 'Page Two']) {
      const owner = await signUpOwner(name);
      await rollUp(owner.tenant, 1);
    }
    const first = await call('GET', '/ops/economics?limit=1', { headers: ops });
    expect(first.body.byCost.tenants).toHaveLength(1);
    expect(first.body.byCost.nextPage).toBe(2);
    const second = await call('GET', '/ops/economics?limit=1&page=2', { headers: ops });
    expect(second.body.byCost.tenants).toHaveLength(1);
    expect(second.body.byCost.tenants[0].tenant.id).not.toBe(first.body.byCost.tenants[0].tenant.id);
    const bad = await call('GET', '/ops/economics?limit=0', { headers: ops });
    expect(bad.status).toBe(400);
    expectErrorShape(bad.body);
  });

  it('shows both lists in the operator console', async () => {
    const free = await signUpOwner('Console Free');
    await call('POST', `/api/t/${free.tenant.slug}/projects`, { token: free.token, body: { name: 'p' } });
    const paying = await signUpOwner('Console Paying');
    await payingPro(paying.tenant, 3);
    await rollUp(free.tenant, 2);
    await rollUp(paying.tenant, 1);

    const browser = new Browser();
    await browser.fetch('/ops/console/sign-in', { form: { _csrf: await browser.token('/ops/console/sign-in'), token: env.OPS_TOKEN } });
    const res = await browser.fetch('/ops/console/economics?limit=200');
    expect(res.status).toBe(200);
    const html = await res.text();
    const [losses = '', byCost = ''] = html.split('id="cost-heading"');
    expect(losses).toContain('Costs more than it pays');
    expect(losses).toContain('Console Free');
    expect(losses).not.toContain('Console Paying');
    expect(byCost).toContain('Console Free');
    expect(byCost).toContain('Console Paying');
    expect(byCost).toContain('$36.00');
    // And on each tenant's own page, beside its daily usage.
    const tenantPage = await (await browser.fetch(`/ops/console/tenants/${paying.tenant.id}`)).text();
    expect(tenantPage).toMatch(/Cost \$[0-9.e-]+ over the last 30 days \(metered, as of [^)]+\) beside revenue \$36\.00 a month/);
  });

  it('is for operators only', async () => {
    const none = await call('GET', '/ops/economics');
    expect(none.status).toBe(401);
    expectErrorShape(none.body);
    expect((await call('GET', '/ops/economics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const page = await new Browser().fetch('/ops/console/economics');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/ops/console/sign-in');
  });

  it('keeps a meter\'s last 90 days: its rollup alarm deletes the older ones', async () => {
    const owner = await signUpOwner('Meter Retention');
    const meter = env.USAGE_METER.get(env.USAGE_METER.idFromName(owner.tenant.id));
    const daysAgo = (n: number) => utcDate(Date.now() - n * DAY_MS);
    const counts: MeterCounts = { ...emptyUsage(), requests: 1 };
    for (const n of [400, USAGE_KEPT_DAYS, USAGE_KEPT_DAYS - 1, 1]) await meter.add(owner.tenant.id, daysAgo(n), counts);
    expect(await runDurableObjectAlarm(meter)).toBe(true);
    const kept = (await usageByDay(env, owner.tenant.id, 401)).filter((day) => day.requests > 0).map((day) => day.date);
    expect(kept).toContain(daysAgo(USAGE_KEPT_DAYS - 1));
    expect(kept).toContain(daysAgo(1));
    expect(kept).not.toContain(daysAgo(USAGE_KEPT_DAYS));
    expect(kept).not.toContain(daysAgo(400));
  });

  it('stops rolling up a deleted tenant', async () => {
    const gone = await signUpOwner('Gone Soon');
    await eventually(async () => expect((await usageByDay(env, gone.tenant.id, 1))[0]?.requests).toBe(1));
    await env.DB.prepare('DELETE FROM tenants WHERE id = ?').bind(gone.tenant.id).run();
    const meter = env.USAGE_METER.get(env.USAGE_METER.idFromName(gone.tenant.id));
    expect(await runDurableObjectAlarm(meter)).toBe(true);
    // Refused by the foreign key, and not armed again.
    expect(await runDurableObjectAlarm(meter)).toBe(false);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM usage_rollups WHERE tenant_id = ?').bind(gone.tenant.id).first('n')).toBe(0);
  });
});
