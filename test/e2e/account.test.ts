/**
 * Account security in a real browser (issue 11): a forgotten password reset
 * through the link in the dev mailbox, then two-factor enrolment from the
 * QR page's secret and a two-step sign-in with a code. Uses the same app and
 * emulator as the story (global-setup.ts), with its own browser profile.
 */
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, watchedPage } from './chromium';
import { timeStep, totpCode } from '../../src/features/account/totp';

const APP = inject('appUrl');
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'test-results', 'screenshots');
const USER = { name: 'Rita Reset', email: `rita-${Date.now()}@acme.test`, org: 'Rita Labs' };
const OLD_PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a much better passphrase';

let browser: Browser;
let page: Page;
let secret = '';
const consoleErrors: string[] = [];

async function go(path: string): Promise<void> {
  await page.goto(`${APP}${path}`);
}

/** The newest email to USER with this subject, from the dev mailbox's JSON answer. */
async function mail(subject: RegExp): Promise<{ text: string }> {
  const res = await fetch(`${APP}/dev/mailbox?${new URLSearchParams({ to: USER.email })}`, { headers: { accept: 'application/json' } });
  const { emails } = (await res.json()) as { emails: { subject: string; text: string }[] };
  const found = emails.find((e) => subject.test(e.subject));
  if (!found) throw new Error(`no "${subject}" in ${JSON.stringify(emails.map((e) => e.subject))}`);
  return found;
}

async function signIn(password: string): Promise<void> {
  await go('/signin');
  await page.getByLabel('Email').fill(USER.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut(): Promise<void> {
  await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${APP}/signin`);
}

beforeAll(async () => {
  browser = await launchChromium();
  page = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }), consoleErrors);
});

afterAll(async () => {
  await browser?.close();
});

describe('account security, in Chromium', () => {
  it('signs up (unverified banner shown) and signs out', async () => {
    await go('/signup');
    await page.getByLabel('Your name').fill(USER.name);
    await page.getByLabel('Work email').fill(USER.email);
    await page.getByLabel('Password').fill(OLD_PASSWORD);
    await page.getByLabel('Organisation name').fill(USER.org);
    await page.getByRole('button', { name: 'Create account' }).click();
    // Sign-up answers alike for new and taken addresses (issue 17 #10): a notice, then sign in.
    await page.waitForURL(`${APP}/signin`);
    expect(await page.locator('.flash').first().textContent()).toContain(`We have emailed ${USER.email}`);
    await signIn(OLD_PASSWORD);
    await page.waitForURL(`${APP}/t/rita-labs`);
    await page.getByTestId('unverified-banner').waitFor();
    await signOut();
  });

  it('resets a forgotten password through the link in the dev mailbox', async () => {
    await go('/signin');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(USER.email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'forgot-password.png'), fullPage: true });

    // The email is written after the answer (same time for unknown addresses): wait for it.
    let link = '';
    await expect.poll(async () => (link = /https?:\/\/\S+/.exec((await mail(/^Reset your password$/).catch(() => ({ text: '' }))).text)?.[0] ?? ''), { timeout: 10_000 }).not.toBe('');
    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL(`${APP}/signin`);

    await signIn(OLD_PASSWORD);
    await page.getByText('Email or password is incorrect').waitFor();
    await signIn(NEW_PASSWORD);
    await page.waitForURL(`${APP}/t/rita-labs`);
    // The reset link proved the address.
    expect(await page.getByTestId('unverified-banner').count()).toBe(0);
  });

  it('enrols two-factor sign-in from the QR page', async () => {
    await go('/account');
    await page.getByRole('link', { name: 'Turn on two-factor sign-in' }).click();
    await page.getByRole('button', { name: 'Set up' }).click();
    await page.locator('figure.qr svg').waitFor();
    secret = (await page.getByTestId('mfa-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.screenshot({ path: join(SHOTS, 'two-factor-setup.png'), fullPage: true });
    await page.getByLabel('Code from the app', { exact: true }).fill(await totpCode(secret, timeStep(Date.now()) - 1));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await expect.poll(() => page.getByTestId('recovery-codes').locator('li').count()).toBe(10);
  });

  it('signs in with a password and then a code', async () => {
    await go('/account');
    await signOut();
    await signIn(NEW_PASSWORD);
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    await page.getByLabel('Code', { exact: true }).fill(await totpCode(secret, timeStep(Date.now())));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${APP}/t/rita-labs`);
    await go('/account');
    await page.getByText('signin.succeeded').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'account.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
