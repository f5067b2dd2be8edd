/**
 * The API keys page: creating a key with its access (everything its role
 * allows, read only, or listed permissions) and its expiry in days, and the
 * list showing each key's access and expiry, an expired key as expired.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { Browser } from './browser';
import { call, signUpOwner, type SignedUp } from './helpers';

const DAY_MS = 24 * 60 * 60 * 1000;

async function ownerBrowser(): Promise<{ owner: SignedUp; browser: Browser; page: string }> {
  const owner = await signUpOwner();
  const browser = new Browser();
  await browser.signIn(owner.user.email);
  return { owner, browser, page: `/t/${owner.tenant.slug}/api-keys` };
}

async function create(browser: Browser, page: string, form: Record<string, string>): Promise<Response> {
  return browser.fetch(page, { form: { _csrf: await browser.token(page), name: 'Key', role: 'member', ...form } });
}

async function storedKeys(tenantId: string): Promise<{ name: string; scopes: string | null; created_at: number; expires_at: number | null }[]> {
  const rows = await env.DB.prepare('SELECT name, scopes, created_at, expires_at FROM api_keys WHERE tenant_id = ? ORDER BY created_at').bind(tenantId).all();
  return rows.results as { name: string; scopes: string | null; created_at: number; expires_at: number | null }[];
}

describe('API keys page: scopes and expiry', () => {
  it('offers access and expiry (90 days unless changed) on the create form', async () => {
    const { browser, page } = await ownerBrowser();
    const html = await (await browser.fetch(page)).text();
    expect(html).toContain('name="access"');
    expect(html).toMatch(/<option value="read"[^>]*>Read only<\/option>/);
    expect(html).toContain('name="scopes"');
    expect(html).toMatch(/name="expiresInDays" type="number" value="90"/);
  });

  it('creates a read-only key, a listed-permissions key and an everything key, each with its expiry, and lists them so', async () => {
    const { owner, browser, page } = await ownerBrowser();
    expect((await create(browser, page, { name: 'Reader', access: 'read', expiresInDays: '30' })).status).toBe(303);
    expect((await create(browser, page, { name: 'Deployer', access: 'listed', scopes: 'projects:read, projects:write', expiresInDays: '7' })).status).toBe(303);
    expect((await create(browser, page, { name: 'Full', access: 'role', expiresInDays: '90' })).status).toBe(303);

    const keys = await storedKeys(owner.tenant.id);
    expect(keys.map((k) => [k.name, k.scopes === null ? null : JSON.parse(k.scopes), Math.round(((k.expires_at ?? 0) - k.created_at) / DAY_MS)])).toEqual([
      ['Reader', ['read'], 30],
      ['Deployer', ['projects:read', 'projects:write'], 7],
      ['Full', null, 90],
    ]);

    const html = await (await browser.fetch(page)).text();
    expect(html).toMatch(/<td>Reader<\/td>[\s\S]*?<td>Read only<\/td>/);
    expect(html).toMatch(/<td>Deployer<\/td>[\s\S]*?<td>projects:read, projects:write<\/td>/);
    expect(html).toMatch(/<td>Full<\/td>[\s\S]*?<td>Everything its role allows<\/td>/);
    expect(html).not.toContain('Expired');
  });

  it('the read-only key made on the page reads through the API and is refused a write', async () => {
    const { owner, browser, page } = await ownerBrowser();
    const created = await create(browser, page, { name: 'Reader', access: 'read', expiresInDays: '30' });
    const shown = await (await browser.fetch(created.headers.get('location') ?? page)).text();
    const secret = /(ssk_[A-Za-z0-9_-]+)/.exec(shown)?.[1];
    expect(secret).toBeTruthy();
    expect((await call('GET', `/api/t/${owner.tenant.slug}/projects`, { token: secret })).status).toBe(200);
    expect((await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: secret, body: { name: 'Nope' } })).status).toBe(403);
  });

  it('refuses a permission above the role, an empty list and a bad expiry, by their fields, creating nothing', async () => {
    const { owner, browser, page } = await ownerBrowser();
    for (const [form, message] of [
      [{ access: 'listed', scopes: 'members:manage' }, 'members:manage is above the member role'],
      [{ access: 'listed', scopes: '' }, 'List at least one permission'],
      [{ access: 'listed', scopes: 'nothing:real' }, 'Unknown scope nothing:real'],
      [{ expiresInDays: '0' }, 'At least 1 day'],
      [{ expiresInDays: '400' }, 'At most 365 days'],
    ] as const) {
      const res = await create(browser, page, form);
      expect(res.status).toBe(303);
      const html = await (await browser.fetch(res.headers.get('location') ?? page)).text();
      expect(html, JSON.stringify(form)).toContain(message);
    }
    expect(await storedKeys(owner.tenant.id)).toEqual([]);
  });

  it('shows an expired key as expired', async () => {
    const { owner, browser, page } = await ownerBrowser();
    await create(browser, page, { name: 'Old', expiresInDays: '1' });
    await env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE tenant_id = ?').bind(Date.now() - 1000, owner.tenant.id).run();
    const html = await (await browser.fetch(page)).text();
    expect(html).toMatch(/<td>Old<\/td>[\s\S]*?<span class="pill">Expired /);
  });
});
