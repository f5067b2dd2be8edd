/**
 * Names people type (user, tenant, project, API key) refuse control
 * characters: a tenant's name goes into the Subject of invitation emails,
 * where a CR/LF would add headers such as Bcc.
 */
import { describe, expect, it } from 'vitest';
import { CONTROL_CHARACTERS_MESSAGE, FORMATTING_CHARACTERS_MESSAGE } from '../../src/platform/fields';
import { countRows } from './db-snapshot';
import { PASSWORD, call, signUpOwner, uniqueEmail, type ApiResult } from './helpers';

const INJECTED = 'Acme\r\nBcc: attacker@evil.test';
const MESSAGE = CONTROL_CHARACTERS_MESSAGE;

function expectRefused(res: ApiResult<{ error: { code: string; details: { fieldErrors: Record<string, string[]> } } }>, field: string) {
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('validation_failed');
  expect(res.body.error.details.fieldErrors[field]).toContain(MESSAGE);
}

describe('names with control characters', () => {
  it('sign-up refuses them in the user name and the tenant name, and writes nothing', async () => {
    const [users, tenants] = [await countRows('users'), await countRows('tenants')];
    await expectRefused(await call('POST', '/api/auth/signup', { body: { email: uniqueEmail(), password: PASSWORD, name: INJECTED } }), 'name');
    await expectRefused(
      await call('POST', '/api/auth/signup', { body: { email: uniqueEmail(), password: PASSWORD, name: 'Eve', tenantName: INJECTED } }),
      'tenantName',
    );
    expect(await countRows('users')).toBe(users);
    expect(await countRows('tenants')).toBe(tenants);
  });

  it('creating or renaming a tenant refuses them, and writes nothing', async () => {
    const owner = await signUpOwner();
    const tenants = await countRows('tenants');
    await expectRefused(await call('POST', '/api/tenants', { token: owner.token, body: { name: INJECTED } }), 'name');
    expect(await countRows('tenants')).toBe(tenants);
    await expectRefused(await call('PATCH', `/api/t/${owner.tenant.slug}`, { token: owner.token, body: { name: 'Acme\nBcc: x@evil.test' } }), 'name');
    expect((await call('GET', `/api/t/${owner.tenant.slug}`, { token: owner.token })).body.tenant.name).toBe(owner.tenant.name);
  });

  it('creating or renaming a project refuses them, and writes nothing', async () => {
    const { token, tenant } = await signUpOwner();
    const base = `/api/t/${tenant.slug}/projects`;
    await expectRefused(await call('POST', base, { token, body: { name: INJECTED } }), 'name');
    expect((await call('GET', base, { token })).body.projects).toEqual([]);
    const created = await call('POST', base, { token, body: { name: 'Apollo' } });
    await expectRefused(await call('PATCH', `${base}/${created.body.project.id}`, { token, body: { name: 'Apollo\u0000' } }), 'name');
    expect((await call('GET', `${base}/${created.body.project.id}`, { token })).body.project.name).toBe('Apollo');
  });

  it('creating an API key refuses them, and writes nothing', async () => {
    const { token, tenant } = await signUpOwner();
    const keys = await countRows('api_keys');
    await expectRefused(await call('POST', `/api/t/${tenant.slug}/api-keys`, { token, body: { name: 'CI\tkey', role: 'member' } }), 'name');
    expect(await countRows('api_keys')).toBe(keys);
  });

  it('accepts names in any script, and trims surrounding whitespace (line breaks included)', async () => {
    const email = uniqueEmail();
    expect((await call('POST', '/api/auth/signup', { body: { email, password: PASSWORD, name: 'Zoë Ångström 李', tenantName: '\r\n Café Ünïcode 🚀 \n' } })).status).toBe(202);
    const { token } = (await call('POST', '/api/auth/login', { body: { email, password: PASSWORD } })).body;
    const me = await call('GET', '/api/me', { token });
    expect(me.body.user.name).toBe('Zoë Ångström 李');
    expect(me.body.memberships[0].tenant.name).toBe('Café Ünïcode 🚀');
  });
});

describe('names with invisible or text-direction characters (issue 17 #11)', () => {
  const HIDDEN = { rlo: 'Acme\u202Egpj.exe', zwsp: 'Ac\u200Bme', loneHigh: 'Acme\uD800', loneLow: '\uDC00Acme' };

  function expectFormattingRefused(res: ApiResult<{ error: { code: string; details: { fieldErrors: Record<string, string[]> } } }>, field: string) {
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.fieldErrors[field]).toContain(FORMATTING_CHARACTERS_MESSAGE);
  }

  it('refuses them in user, tenant, project and API key names, saying why, and writes nothing', async () => {
    const owner = await signUpOwner();
    const before = await Promise.all(['users', 'tenants', 'projects', 'api_keys'].map((t) => countRows(t)));
    for (const name of Object.values(HIDDEN)) {
      expectFormattingRefused(await call('POST', '/api/auth/signup', { body: { email: uniqueEmail(), password: PASSWORD, name } }), 'name');
      expectFormattingRefused(await call('POST', '/api/auth/signup', { body: { email: uniqueEmail(), password: PASSWORD, name: 'Eve', tenantName: name } }), 'tenantName');
      expectFormattingRefused(await call('POST', '/api/tenants', { token: owner.token, body: { name } }), 'name');
      expectFormattingRefused(await call('PATCH', `/api/t/${owner.tenant.slug}`, { token: owner.token, body: { name } }), 'name');
      expectFormattingRefused(await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token, body: { name } }), 'name');
      expectFormattingRefused(await call('POST', `/api/t/${owner.tenant.slug}/api-keys`, { token: owner.token, body: { name, role: 'member' } }), 'name');
    }
    expect(await Promise.all(['users', 'tenants', 'projects', 'api_keys'].map((t) => countRows(t)))).toEqual(before);
    expect((await call('GET', `/api/t/${owner.tenant.slug}`, { token: owner.token })).body.tenant.name).toBe(owner.tenant.name);
  });

  it('still accepts emoji (surrogate pairs) and accents', async () => {
    const { token, tenant } = await signUpOwner();
    const res = await call('POST', `/api/t/${tenant.slug}/projects`, { token, body: { name: 'Launch 🚀 Ünïcode' } });
    expect(res.status).toBe(201);
    expect(res.body.project.name).toBe('Launch 🚀 Ünïcode');
  });
});
