/**
 * The operator console in a real browser (Chromium, against `wrangler dev`
 * from the shared global setup): a dead Stripe event exists; the operator
 * signs in with the dev token, finds a tenant by a member's email, reads
 * its timeline and usage, and replays the dead event. The tenant's owner
 * then sees in its audit log that support looked. Screenshots as in
 * story.test.ts: docs/screenshots/ with `npm run screenshots`.
 */
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, watchedPage } from './chromium';
import { OPS_TOKEN, WEBHOOK_SECRET } from './global-setup';

const APP = inject('appUrl');
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'test-results', 'screenshots');
const OWNER = { email: 'oscar@support-story.test', password: 'correct horse battery staple', name: 'Oscar Owner', tenantName: 'Support Story' };

let browser: Browser;
let page: Page;
let ownerToken: string;
let slug: string;
const consoleErrors: string[] = [];

async function api(method: string, path: string, init: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${APP}${path}`, { method, headers, body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)) });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the wire, read by assertions
}

/** A webhook Stripe will never be able to answer for (its subscription does not exist): dead at once. */
async function postDoomedWebhook(): Promise<string> {
  const id = `evt_e2e_${Date.now()}`;
  const payload = JSON.stringify({ id, object: 'event', type: 'customer.subscription.updated', data: { object: { object: 'subscription', id: 'sub_never_existed' } } });
  const t = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${payload}`).digest('hex');
  const res = await api('POST', '/webhooks/stripe', { raw: payload, headers: { 'stripe-signature': `t=${t},v1=${signature}` } });
  expect(res.status).toBe(200);
  return id;
}

async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  page = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 900 } }), consoleErrors);
  expect((await api('POST', '/api/auth/signup', { body: OWNER })).status).toBe(202);
  const login = await api('POST', '/api/auth/login', { body: { email: OWNER.email, password: OWNER.password } });
  expect(login.status).toBe(200);
  ownerToken = login.body.token;
  slug = (await api('GET', '/api/me', { token: ownerToken })).body.memberships[0].tenant.slug;
  expect((await api('POST', `/api/t/${slug}/projects`, { token: ownerToken, body: { name: 'Rocket' } })).status).toBe(201);
});

afterAll(async () => {
  await browser?.close();
});

describe('the operator console', () => {
  let eventId: string;

  it('has a dead Stripe event to look at', async () => {
    eventId = await postDoomedWebhook();
    await eventually(async () => {
      const dead = await api('GET', '/ops/stripe-events?state=dead', { headers: { authorization: `Bearer ${OPS_TOKEN}` } });
      expect(dead.body.events.map((e: { id: string }) => e.id)).toContain(eventId);
    });
  });

  it('signs the operator in with the dev token', async () => {
    await page.goto(`${APP}/ops/console`);
    expect(new URL(page.url()).pathname).toBe('/ops/console/sign-in');
    await shot('ops-sign-in');
    await page.getByLabel('Operator token').fill(OPS_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${APP}/ops/console`);
    await expect(page.getByRole('heading', { name: 'Operator console' }).isVisible()).resolves.toBe(true);
    await expect(page.locator('tr', { hasText: eventId }).isVisible()).resolves.toBe(true);
    await shot('ops-console');
  });

  it('finds the tenant by a member\'s email and shows its timeline and usage', async () => {
    await page.getByLabel('Slug, id, member email or Stripe customer id').fill(OWNER.email);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('link', { name: OWNER.tenantName }).click();
    await expect(page.getByRole('heading', { name: OWNER.tenantName, level: 1 }).isVisible()).resolves.toBe(true);
    const timeline = (await page.locator('section', { hasText: 'Timeline' }).textContent()) ?? '';
    expect(timeline).toContain('tenant.created');
    expect(timeline).toContain('project.created');
    const usage = (await page.locator('section', { hasText: 'Usage, last 30 days' }).textContent()) ?? '';
    expect(usage).toContain(new Date().toISOString().slice(0, 10));
    await shot('ops-tenant');
  });

  it('replays the dead event', async () => {
    await page.goto(`${APP}/ops/console`);
    await page.getByRole('button', { name: `Replay ${eventId}` }).click();
    await page.waitForURL(`${APP}/ops/console`);
    expect((await page.locator('.flash').first().textContent()) ?? '').toContain(`Event ${eventId} is back on the queue.`);
    await shot('ops-replayed');
  });

  it('leaves a support-action row in the tenant\'s audit log, and no console errors', async () => {
    const audit = await api('GET', `/api/t/${slug}/audit-log`, { token: ownerToken });
    const viewed = audit.body.entries.find((e: { action: string }) => e.action === 'support.viewed');
    expect(viewed).toMatchObject({ actor: { type: 'operator', id: 'dev-token' } });
    expect(consoleErrors).toEqual([]);
  });
});
