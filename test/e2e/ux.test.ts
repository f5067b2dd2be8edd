/**
 * The admin pages as a product (issue 18), in Chromium, against the same
 * app and Stripe emulator as the story (test/e2e/global-setup.ts), with an
 * organisation of its own: confirmations before destructive and paid
 * actions, the seat price preview and the pending change, invitations that
 * flow, the audit log read, filtered and exported, Back and reload after a
 * failed post, and every page at 375 px without sideways scrolling.
 * Screenshots go where the story's go (`npm run screenshots` refreshes them).
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
const OWNER = { name: 'Uma Owner', email: 'uma@uxlabs.test', org: 'Ux Labs' };
const INVITEE = { name: 'Ivy Invitee', email: 'ivy@uxlabs.test' };
const WRONG = { name: 'Walt Wrong', email: 'walt@elsewhere.test' };
const PENDING = 'pia@uxlabs.test';
const ORG = '/t/ux-labs';

let browser: Browser;
const contexts: BrowserContext[] = [];
let owner: Page;
let invitee: Page;
let wrong: Page;
let acceptLink = '';
const consoleErrors: string[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  return watchedPage(context, consoleErrors);
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const go = async (page: Page, path: string) => (await page.goto(`${APP}${path}`))?.status();
const flashText = async (page: Page) => (await page.locator('.flash').first().textContent()) ?? '';
const scrollWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');

async function setLatency(latencyMs: number): Promise<void> {
  const res = await fetch(`${STRIPE}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs }) });
  expect(res.ok).toBe(true);
}

async function signUp(page: Page, who: { name: string; email: string }, org?: string): Promise<void> {
  await go(page, '/signup');
  await page.getByLabel('Your name').fill(who.name);
  await page.getByLabel('Work email').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  if (org) await page.getByLabel('Organisation name').fill(org);
  await page.getByRole('button', { name: 'Create account' }).click();
  // Sign-up opens no session (issue 17 #10): the sign-in page, then in.
  await page.waitForURL(`${APP}/signin`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  // An owner confirms the address (issue 11: inviting and buying need it) with the link the dev mailbox holds.
  if (org) await confirmAddress(page, who.email);
}

async function confirmAddress(page: Page, email: string): Promise<void> {
  const res = await fetch(`${APP}/dev/mailbox?${new URLSearchParams({ to: email })}`, { headers: { accept: 'application/json' } });
  const { emails } = (await res.json()) as { emails: { subject: string; text: string }[] };
  const link = emails.filter((mail) => mail.subject === 'Confirm your email address').map((mail) => /\/verify-email\?token=[\w-]+/.exec(mail.text)?.[0])[0];
  expect(link, `a confirmation email for ${email}`).toBeDefined();
  await go(page, link ?? '');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('Your email address is confirmed').waitFor();
}

async function createProject(page: Page, name: string): Promise<void> {
  await go(page, `${ORG}/projects`);
  await page.getByLabel('Project name').fill(name);
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('cell', { name, exact: true }).waitFor();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  [owner, invitee, wrong] = [await newPage(), await newPage(), await newPage()];
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
});

describe('the admin pages as a product, in Chromium', () => {
  it('asks before deleting a project: Cancel keeps it, confirming deletes it, and focus lands on the outcome', async () => {
    await signUp(owner, OWNER, OWNER.org);
    await owner.waitForURL(`${APP}${ORG}`);
    await createProject(owner, 'Scratch');
    // After a post, focus is on the flash (autofocus, no script).
    expect(await owner.evaluate<string>('document.activeElement?.className ?? ""')).toContain('flash');

    await owner.getByRole('link', { name: 'Delete Scratch' }).click();
    await owner.getByRole('heading', { name: 'Delete Scratch?' }).waitFor();
    await shot(owner, 'confirm-delete');
    await owner.getByRole('link', { name: 'Cancel' }).click();
    await owner.getByRole('cell', { name: 'Scratch', exact: true }).waitFor();

    await owner.getByRole('link', { name: 'Delete Scratch' }).click();
    await owner.getByRole('button', { name: 'Delete project' }).click();
    await owner.waitForURL(`${APP}${ORG}/projects`);
    expect(await flashText(owner)).toContain('Project deleted.');
    expect(await owner.getByRole('cell', { name: 'Scratch', exact: true }).count()).toBe(0);
  });

  it('ends a failed post in a redirect: the message and input are kept, and Back and reload resubmit nothing', async () => {
    await go(owner, ORG);
    await go(owner, `${ORG}/projects`);
    await owner.getByLabel('Project name').fill('   ');
    await owner.getByRole('button', { name: 'Create project' }).click();
    await owner.waitForURL(`${APP}${ORG}/projects`);
    expect(await owner.locator('#field-name-error').textContent()).toBe('Fill in this field.');
    expect(await owner.content()).not.toContain('Invalid input');

    const posts: string[] = [];
    owner.on('request', (request) => {
      if (request.method() === 'POST') posts.push(request.url());
    });
    const reloaded = await owner.reload();
    expect(reloaded?.status()).toBe(200);
    // The kept state was shown once; the reload is a plain GET.
    expect(await owner.locator('#field-name-error').count()).toBe(0);
    // Back goes through plain GETs: the page before the post, then the one before that.
    expect((await owner.goBack())?.status()).toBe(200);
    expect(owner.url()).toBe(`${APP}${ORG}/projects`);
    expect((await owner.goBack())?.status()).toBe(200);
    expect(owner.url()).toBe(`${APP}${ORG}`);
    await owner.getByRole('heading', { name: OWNER.org }).waitFor();
    expect(posts).toEqual([]);
  });

  it('shows projects against the limit and, at the limit, the way to upgrade instead of the form', async () => {
    for (const name of ['Alpha', 'Beta']) await createProject(owner, name);
    expect(await owner.getByTestId('project-usage-count').textContent()).toBe('2 of 3 projects used');
    await createProject(owner, 'Gamma');
    expect(await owner.getByTestId('project-usage-count').textContent()).toBe('3 of 3 projects used');
    expect(await owner.getByRole('button', { name: 'Create project' }).count()).toBe(0);
    expect(await owner.getByRole('link', { name: /Upgrade or buy more/ }).getAttribute('href')).toBe(`${ORG}/billing`);
    await shot(owner, 'projects-at-limit');
  });

  it('sends an invitation whose email says who invited you', async () => {
    await go(owner, `${ORG}/members`);
    expect(await owner.getByTestId('seat-usage-count').textContent()).toBe('1 of 3 seats used');
    await owner.getByLabel('Email').fill(INVITEE.email);
    await owner.getByRole('button', { name: 'Send invitation' }).click();
    acceptLink = (await owner.getByTestId('revealed').textContent()) ?? '';
    expect(acceptLink).toMatch(new RegExp(`^${APP}/invitations/[\\w-]{43}$`));

    await go(owner, '/dev/mailbox');
    const mail = owner.locator('article', { hasText: INVITEE.email }).first();
    expect(await mail.innerText()).toContain(`${OWNER.name} (${OWNER.email}) invited you to join ${OWNER.org}`);
  });

  it('tells someone signed in with another address before any Accept button', async () => {
    await signUp(wrong, WRONG);
    await wrong.getByRole('heading', { name: 'Create your first organisation' }).waitFor();
    await shot(wrong, 'first-organisation');
    await wrong.goto(acceptLink);
    const warning = wrong.getByTestId('wrong-account');
    expect(await warning.innerText()).toContain(`You are signed in as ${WRONG.email}, but this invitation is for ${INVITEE.email}`);
    expect(await wrong.getByRole('button', { name: 'Accept invitation' }).count()).toBe(0);
    await shot(wrong, 'invitation-wrong-account');
    // Signing out from there comes back to the invitation, signed out.
    await warning.getByRole('button', { name: 'Sign out' }).click();
    await wrong.waitForURL(acceptLink);
    await wrong.getByRole('link', { name: 'Create an account' }).waitFor();
  });

  it('signs the invitee up with the address filled in and fixed, and ends in membership without a second click', async () => {
    await invitee.goto(acceptLink);
    await invitee.getByRole('link', { name: 'Create an account' }).click();
    const address = invitee.getByLabel('Work email');
    expect(await address.inputValue()).toBe(INVITEE.email);
    expect(await address.getAttribute('readonly')).not.toBeNull();
    expect(await invitee.getByLabel('Organisation name').count()).toBe(0);
    await invitee.getByLabel('Your name').fill(INVITEE.name);
    await invitee.getByLabel('Password').fill(PASSWORD);
    await shot(invitee, 'invitation-signup');
    await invitee.getByRole('button', { name: 'Create account' }).click();
    await invitee.waitForURL(`${APP}${ORG}`);
    expect(await flashText(invitee)).toContain(`Welcome to ${OWNER.org}! You joined as member.`);

    // The used link is no dead end.
    await invitee.goto(acceptLink);
    expect(await invitee.getByTestId('invitation-state').textContent()).toBe('This invitation has already been used.');
    await invitee.getByRole('link', { name: 'Go to your organisations' }).click();
    await invitee.waitForURL(`${APP}${ORG}`);
    await shot(invitee, 'invitation-used');
  });

  it('resends a pending invitation with a new link, and revokes it after asking', async () => {
    await go(owner, `${ORG}/members`);
    await owner.getByLabel('Email').fill(PENDING);
    await owner.getByRole('button', { name: 'Send invitation' }).click();
    const firstLink = (await owner.getByTestId('revealed').textContent()) ?? '';
    // Three of three seats: the invite form gives way to the upgrade link.
    expect(await owner.getByTestId('seat-usage-count').textContent()).toBe('3 of 3 seats used');
    expect(await owner.getByRole('button', { name: 'Send invitation', exact: true }).count()).toBe(0);

    await owner.getByRole('button', { name: `Resend invitation to ${PENDING} with a new link` }).click();
    const newLink = (await owner.getByTestId('revealed').textContent()) ?? '';
    expect(newLink).not.toBe(firstLink);
    expect(await flashText(owner)).toContain(`Invitation sent again to ${PENDING}`);
    expect(await go(wrong, new URL(firstLink).pathname)).toBe(404);
    expect(await go(wrong, new URL(newLink).pathname)).toBe(200);

    await owner.getByRole('link', { name: `Revoke invitation for ${PENDING}` }).click();
    await owner.getByRole('heading', { name: `Revoke the invitation for ${PENDING}?` }).waitFor();
    await owner.getByRole('button', { name: 'Revoke invitation' }).click();
    expect(await flashText(owner)).toContain('Invitation revoked');
    await go(wrong, new URL(newLink).pathname);
    expect(await wrong.getByTestId('invitation-state').textContent()).toBe('This invitation was withdrawn by the organisation.');
    await wrong.getByText('Ask the person who invited you to send a new invitation').waitFor();
  });

  it('changes a role only after a confirmation that names both roles', async () => {
    await go(owner, `${ORG}/members`);
    await owner.getByLabel(`Role for ${INVITEE.email}`, { exact: true }).selectOption('admin');
    await owner.getByRole('button', { name: 'Change role' }).click();
    await owner.getByRole('heading', { name: `Change ${INVITEE.name} from Member to Admin?` }).waitFor();
    await shot(owner, 'confirm-role');
    await owner.getByRole('button', { name: 'Make admin' }).click();
    expect(await flashText(owner)).toContain(`${INVITEE.name} is now an admin.`);
    expect(await owner.getByRole('row', { name: new RegExp(INVITEE.email) }).locator('.pill').textContent()).toBe('Admin');
  });

  it("buys seats after seeing Stripe's price, and shows the increase pending until it lands", async () => {
    await go(owner, `${ORG}/billing`);
    await owner.getByRole('spinbutton', { name: 'Seats' }).fill('5');
    await owner.getByRole('button', { name: 'Continue to checkout' }).click();
    await owner.waitForURL(`${STRIPE}/checkout/**`);
    await owner.getByRole('button', { name: 'Pay with test card 4242' }).click();
    await owner.getByTestId('plan').filter({ hasText: /^Pro$/ }).waitFor({ timeout: 30_000 });

    await owner.getByRole('spinbutton', { name: 'Seats' }).fill('7');
    await owner.getByRole('button', { name: 'Review price' }).click();
    await owner.getByRole('heading', { name: 'Buy 2 more seats?' }).waitFor();
    // $12 a seat: the next month at 7 seats; the two new seats for the rest of this one, prorated (a little under $24).
    expect(await owner.getByTestId('new-monthly').textContent()).toBe('$84.00');
    const prorated = Number((await owner.getByTestId('prorated').textContent())?.replace(/[$,]/g, ''));
    expect(prorated).toBeGreaterThan(0);
    expect(prorated).toBeLessThanOrEqual(24);
    expect(await owner.getByTestId('seat-quote').innerText()).toContain('5 → 7');
    expect(await owner.locator('input[name="prorationDate"]').inputValue()).toMatch(/^\d{10}$/);
    await shot(owner, 'seat-preview');

    // Stripe answers slowly, so the page is seen waiting for the webhook's work.
    await setLatency(2500);
    try {
      await owner.getByRole('button', { name: 'Buy seats: 7 in all' }).click();
      await owner.waitForURL(`${APP}${ORG}/billing?seats=7`);
      await owner.getByTestId('seats-pending').waitFor();
      expect(await flashText(owner)).toContain('Stripe is confirming your change to 7 seats');
      expect(await owner.locator('meta[http-equiv="refresh"]').getAttribute('content')).toMatch(/^2; url=.*seats=7&wait=1/);
      await shot(owner, 'seats-pending');
    } finally {
      await setLatency(0);
    }
    await owner.locator('#seats-text').filter({ hasText: 'of 7 seats used' }).waitFor({ timeout: 30_000 });
    expect(await flashText(owner)).toContain('Confirmed: you now have 7 seats.');
    expect(await owner.getByTestId('seats-pending').count()).toBe(0);
    expect(await owner.locator('meta[http-equiv="refresh"]').count()).toBe(0);
  });

  it('reads the audit log as sentences, with the codes one click away, filtered and exported as CSV', async () => {
    await go(owner, `${ORG}/audit-log`);
    const sentences = owner.locator('.sentence');
    await sentences.filter({ hasText: `${OWNER.name} changed ${INVITEE.name} from Member to Admin` }).waitFor();
    expect(await sentences.allTextContents()).toContain(`${INVITEE.name} joined as Member`);
    const row = owner.getByRole('row').filter({ hasText: `${OWNER.name} changed ${INVITEE.name}` });
    expect(await row.locator('details').getAttribute('open')).toBeNull();
    await row.getByText('Details').click();
    expect(await row.locator('details dl').innerText()).toMatch(/member\.role_changed[\s\S]*Request\s+\S+/);
    await shot(owner, 'audit-log');

    const today = new Date().toISOString().slice(0, 10);
    await owner.getByLabel('What').selectOption('member');
    await owner.getByLabel('Who').selectOption({ label: `${OWNER.name} (${OWNER.email})` });
    await owner.getByLabel('From').fill(today);
    await owner.getByLabel('To').fill(today);
    await owner.getByRole('button', { name: 'Filter' }).click();
    await owner.waitForURL(/group=member/);
    const filtered = await sentences.allTextContents();
    expect(filtered).toEqual([`${OWNER.name} changed ${INVITEE.name} from Member to Admin`]);
    await shot(owner, 'audit-log-filtered');

    const href = (await owner.getByRole('link', { name: 'Export CSV (filtered)' }).getAttribute('href')) ?? '';
    expect(href).toContain('group=member');
    const csv = await owner.request.get(`${APP}${href}`);
    expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers()['content-disposition']).toMatch(/attachment; filename="ux-labs-audit-log-\d{4}-\d{2}-\d{2}\.csv"/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('"time_utc","what","action","actor","actor_type","actor_id","target_type","target_id","data","request_id"');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"${OWNER.name} changed ${INVITEE.name} from Member to Admin","member.role_changed"`);

    // A day with nothing in it.
    await go(owner, `${ORG}/audit-log?from=2020-01-01&to=2020-01-02`);
    await owner.getByText('No entries match these filters.').waitFor();
  });

  it('closes the organisation switcher on Escape, without a script', async () => {
    await go(owner, ORG);
    const menu = owner.locator('#switcher-menu');
    await owner.getByRole('button', { name: new RegExp(`^Organisation: ${OWNER.org}`) }).click();
    await menu.waitFor({ state: 'visible' });
    await owner.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });
  });

  it('fits every page into 375 px without sideways scrolling, with 24 px targets', async () => {
    await owner.setViewportSize({ width: 375, height: 800 });
    try {
      for (const [path, name] of [
        [ORG, null],
        [`${ORG}/projects`, null],
        [`${ORG}/members`, 'members-375'],
        [`${ORG}/billing`, null],
        [`${ORG}/audit-log`, 'audit-log-375'],
        [`${ORG}/api-keys`, null],
        [`${ORG}/settings`, 'settings-375'],
      ] as const) {
        await go(owner, path);
        expect(await scrollWidth(owner), path).toBeLessThanOrEqual(375);
        if (name) await shot(owner, name);
      }
      // The members' actions are on screen, not past its right edge.
      await go(owner, `${ORG}/members`);
      const remove = await owner.getByRole('link', { name: `Remove ${INVITEE.email}` }).boundingBox();
      expect(remove && remove.x + remove.width).toBeLessThanOrEqual(375);

      await go(owner, ORG);
      const heights = await owner.locator('main .card ul a, main .stat a').evaluateAll((links) => links.map((a) => a.getBoundingClientRect().height));
      expect(heights.length).toBeGreaterThan(0);
      for (const height of heights) expect(height).toBeGreaterThanOrEqual(24);
    } finally {
      await owner.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('logged no console errors (no CSP violations) on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
