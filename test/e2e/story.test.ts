/**
 * The admin pages in a real browser (Debian's Chromium, driven by
 * playwright-core): an owner signs up, creates a project and invites a
 * member; the member signs up in a second browser and accepts; the owner
 * upgrades to Pro through the Stripe emulator's hosted Checkout; the member
 * sees no controls they may not use and is refused when posting anyway;
 * forms without their CSRF token or from another origin change nothing.
 * Every page is screenshotted on the way: into test-results/screenshots/
 * (git-ignored) on an ordinary run, into docs/screenshots/ (what the README
 * shows) with `npm run screenshots`, so a test run leaves the tree clean.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, watchedPage } from './chromium';

const APP = inject('appUrl');
const STRIPE = inject('stripeEmulatorUrl');
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'test-results', 'screenshots');
const PASSWORD = 'correct horse battery staple';
const OWNER = { name: 'Olivia Owner', email: 'olivia@acme.test', org: 'Acme Rockets' };
const MEMBER = { name: 'Max Member', email: 'max@acme.test' };
const ORG = '/t/acme-rockets';

let browser: Browser;
let ownerContext: BrowserContext;
let memberContext: BrowserContext;
let owner: Page;
let member: Page;
let acceptLink: string;
/** Console errors (a CSP violation is one) and page errors: the pages must produce none. */
const consoleErrors: string[] = [];

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function go(page: Page, path: string): Promise<number | undefined> {
  const response = await page.goto(`${APP}${path}`);
  return response?.status();
}

async function flashText(page: Page): Promise<string> {
  return (await page.locator('.flash').first().textContent()) ?? '';
}

/** The page's own CSRF token (every page has one, in the sign-out form at least). */
function csrfTokenOf(page: Page): Promise<string> {
  return page.locator('input[name="_csrf"]').first().inputValue();
}

async function setEmulatorFaults(faults: { latencyMs: number }): Promise<void> {
  const res = await fetch(`${STRIPE}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
  expect(res.ok).toBe(true);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  // Each context is a fresh, empty profile: its own cookies, like a second browser.
  ownerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  memberContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  owner = await watchedPage(ownerContext, consoleErrors);
  member = await watchedPage(memberContext, consoleErrors);
});

afterAll(async () => {
  await browser?.close();
});

describe('the admin pages, in Chromium', () => {
  it('the owner signs up, is told to check their email and sign in, and lands on the new organisation', async () => {
    await go(owner, '/signup');
    await shot(owner, 'signup');
    await owner.getByLabel('Your name').fill(OWNER.name);
    await owner.getByLabel('Work email').fill(OWNER.email);
    await owner.getByLabel('Password').fill(PASSWORD);
    await owner.getByLabel('Organisation name').fill(OWNER.org);
    await owner.getByRole('button', { name: 'Create account' }).click();
    // The same answer whether the address is new or taken (issue 17 #10).
    await owner.waitForURL(`${APP}/signin`);
    expect(await flashText(owner)).toContain(`We have emailed ${OWNER.email}`);
    await owner.getByLabel('Email').fill(OWNER.email);
    await owner.getByLabel('Password').fill(PASSWORD);
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.waitForURL(`${APP}${ORG}`);
    const session = (await ownerContext.cookies()).find((cookie) => cookie.name === 'sid');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
  });

  it('confirms the owner\'s address through the dev mailbox (issue 11: inviting and checkout need it)', async () => {
    await owner.getByTestId('unverified-banner').waitFor();
    await go(owner, '/dev/mailbox');
    await owner.locator('article', { hasText: 'Confirm your email address' }).locator('a[href*="/verify-email"]').first().click();
    await owner.getByRole('button', { name: 'Confirm' }).click();
    expect(await flashText(owner)).toContain('Your email address is confirmed');
    expect(await owner.getByTestId('unverified-banner').count()).toBe(0);
  });

  it('creates a project', async () => {
    await go(owner, `${ORG}/projects`);
    await owner.getByLabel('Project name').fill('Launch site');
    await owner.getByRole('button', { name: 'Create project' }).click();
    await owner.getByRole('cell', { name: 'Launch site', exact: true }).waitFor();
    expect(await flashText(owner)).toContain('Project Launch site created');
    await shot(owner, 'projects');
  });

  it('invites a member, and the invitation arrives in the dev mailbox', async () => {
    await go(owner, `${ORG}/members`);
    await owner.getByLabel('Email').fill(MEMBER.email);
    await owner.getByLabel('Role', { exact: true }).selectOption('member');
    await owner.getByRole('button', { name: 'Send invitation' }).click();
    await owner.getByRole('cell', { name: MEMBER.email, exact: true }).waitFor();
    expect(await flashText(owner)).toContain(`Invitation sent to ${MEMBER.email}`);
    await shot(owner, 'members');

    await go(owner, '/dev/mailbox');
    const mail = owner.locator('article', { hasText: MEMBER.email });
    acceptLink = (await mail.locator('a[href*="/invitations/"]').getAttribute('href')) ?? '';
    expect(acceptLink).toMatch(new RegExp(`^${APP}/invitations/[\\w-]{43}$`));
    await shot(owner, 'mailbox');
  });

  it('the member opens the link in another browser and signs up, which accepts it', async () => {
    await member.goto(acceptLink);
    await member.getByRole('heading', { name: `Join ${OWNER.org}` }).waitFor();
    const invitationText = await member.locator('main').innerText();
    expect(invitationText).toContain(`as member`);
    expect(invitationText).toContain(MEMBER.email);
    await shot(member, 'invitation');
    await member.getByRole('link', { name: 'Create an account' }).click();
    expect(await member.getByLabel('Organisation name').count()).toBe(0);
    await member.getByLabel('Your name').fill(MEMBER.name);
    expect(await member.getByLabel('Work email').inputValue()).toBe(MEMBER.email);
    await member.getByLabel('Password').fill(PASSWORD);
    await member.getByRole('button', { name: 'Create account' }).click();
    // Signing up from the invitation joins at once: no second click on Accept (issue 18).
    await member.waitForURL(`${APP}${ORG}`);
    expect(await flashText(member)).toContain('Welcome to Acme Rockets! You joined as member.');
  });

  it('the owner upgrades to Pro through Checkout, and sees it once Stripe confirms', async () => {
    await go(owner, `${ORG}/billing`);
    expect(await owner.getByTestId('plan').textContent()).toBe('Free');
    await shot(owner, 'billing');

    await owner.getByRole('spinbutton', { name: 'Seats' }).fill('5');
    await owner.getByRole('button', { name: 'Continue to checkout' }).click();
    await owner.waitForURL(`${STRIPE}/checkout/**`);
    // Slow Stripe's API down so the page is seen waiting for the webhook's work (the consumer fetches the subscription).
    await setEmulatorFaults({ latencyMs: 2500 });
    try {
      await owner.getByRole('button', { name: 'Pay with test card 4242' }).click();
      await owner.waitForURL(`${APP}${ORG}/billing?checkout=success`);
      expect(await flashText(owner)).toContain('Processing your payment');
      expect(await owner.locator('meta[http-equiv="refresh"]').getAttribute('content')).toMatch(/^2; url=/);
      await shot(owner, 'billing-processing');
    } finally {
      await setEmulatorFaults({ latencyMs: 0 });
    }

    // The page refreshes itself (meta refresh, no script) until the plan changes.
    await owner.getByTestId('plan').filter({ hasText: /^Pro$/ }).waitFor({ timeout: 30_000 });
    expect(await owner.locator('#seats-text').textContent()).toBe('2 of 5 seats used');
    expect(await owner.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    expect(await flashText(owner)).toContain('you are on Pro');
    await shot(owner, 'billing-pro');
  });

  it('the member sees no billing or member controls', async () => {
    await go(member, ORG);
    const tabs = await member.locator('nav.tabs a').allTextContents();
    expect(tabs).toEqual(['Dashboard', 'Projects', 'Members']);
    await go(member, `${ORG}/members`);
    expect(await member.getByRole('button', { name: 'Change role' }).count()).toBe(0);
    expect(await member.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Send invitation' }).count()).toBe(0);
    await shot(member, 'members-as-member');
    expect(await go(member, `${ORG}/billing`)).toBe(403);
    await shot(member, 'forbidden');
  });

  it("refuses the member's crafted post with a valid token of their own, and nothing changes", async () => {
    await go(owner, `${ORG}/members`);
    const roleForm = owner.locator('form[action$="/role"]');
    expect(await roleForm.count()).toBe(1);
    const memberRoleAction = (await roleForm.getAttribute('action')) ?? '';

    await go(member, `${ORG}/members`);
    const token = await csrfTokenOf(member);
    const promote = await member.request.post(`${APP}${memberRoleAction}`, { form: { _csrf: token, role: 'admin' }, headers: { Origin: APP }, maxRedirects: 0 });
    expect(promote.status()).toBe(403);
    const invite = await member.request.post(`${APP}${ORG}/members/invitations`, {
      form: { _csrf: token, email: 'intruder@example.test', role: 'member' },
      headers: { Origin: APP },
      maxRedirects: 0,
    });
    expect(invite.status()).toBe(403);

    await go(owner, `${ORG}/members`);
    const row = owner.getByRole('row', { name: new RegExp(MEMBER.email) });
    expect(await row.locator('.pill').textContent()).toBe('Member');
    expect(await owner.getByRole('cell', { name: 'intruder@example.test' }).count()).toBe(0);
  });

  it('refuses a form post without its CSRF token, or from another origin, and nothing changes', async () => {
    await go(owner, `${ORG}/projects`);
    const token = await csrfTokenOf(owner);
    const noToken = await owner.request.post(`${APP}${ORG}/projects`, { form: { name: 'Forged without token' }, headers: { Origin: APP }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    const foreign = await owner.request.post(`${APP}${ORG}/projects`, {
      form: { _csrf: token, name: 'Forged from elsewhere' },
      headers: { Origin: 'https://evil.example' },
      maxRedirects: 0,
    });
    expect(foreign.status()).toBe(403);
    // The same token from this origin works: the refusals were about the token and the origin only.
    const genuine = await owner.request.post(`${APP}${ORG}/projects`, { form: { _csrf: token, name: 'Roadmap' }, headers: { Origin: APP }, maxRedirects: 0 });
    expect(genuine.status()).toBe(303);

    await go(owner, `${ORG}/projects`);
    expect(await owner.locator('tbody tr td:first-child').allTextContents()).toEqual(['Roadmap', 'Launch site']);
  });

  it('shows the remaining pages: dashboard, API keys, audit log, settings', async () => {
    await go(owner, ORG);
    await owner.getByRole('heading', { name: 'Acme Rockets' }).waitFor();
    await shot(owner, 'dashboard');
    await owner.setViewportSize({ width: 375, height: 800 });
    await shot(owner, 'dashboard-375');
    // Nothing wider than the screen at 375 px.
    expect(await owner.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await owner.setViewportSize({ width: 1280, height: 800 });

    await go(owner, `${ORG}/api-keys`);
    await owner.getByLabel('Name').fill('CI deploys');
    await owner.getByRole('button', { name: 'Create key' }).click();
    const secret = (await owner.getByTestId('revealed').textContent()) ?? '';
    expect(secret).toMatch(/^ssk_/);
    await shot(owner, 'api-keys');
    await owner.reload();
    expect(await owner.getByTestId('revealed').count()).toBe(0);
    expect(await owner.content()).not.toContain(secret);

    await go(owner, `${ORG}/audit-log`);
    await owner.locator('.sentence', { hasText: `${MEMBER.name} joined as Member` }).waitFor();
    await owner.getByLabel('What').selectOption('project');
    await owner.getByRole('button', { name: 'Filter' }).click();
    await owner.waitForURL(/group=project/);
    expect(await owner.locator('.sentence').allTextContents()).toEqual([`${OWNER.name} created project “Roadmap”`, `${OWNER.name} created project “Launch site”`]);

    await go(owner, `${ORG}/settings`);
    await owner.getByLabel('Name', { exact: true }).fill('Acme Rockets Ltd');
    await owner.getByRole('button', { name: 'Save name' }).click();
    expect(await flashText(owner)).toContain('Renamed to Acme Rockets Ltd');
    await shot(owner, 'settings');
  });

  it('signs out, and a signed-out visit goes to sign in and back', async () => {
    await owner.getByRole('button', { name: 'Sign out' }).click();
    await owner.waitForURL(`${APP}/signin`);
    expect(await go(owner, `${ORG}/billing`)).toBe(200);
    expect(owner.url()).toBe(`${APP}/signin?next=${encodeURIComponent(`${ORG}/billing`)}`);
    await shot(owner, 'signin');
    await owner.getByLabel('Email').fill(OWNER.email);
    await owner.getByLabel('Password').fill(PASSWORD);
    await owner.getByRole('button', { name: 'Sign in' }).click();
    await owner.waitForURL(`${APP}${ORG}/billing`);
    expect(await owner.getByTestId('plan').textContent()).toBe('Pro');
  });

  it('logged no console errors (no CSP violations) on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
