import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { SignJWT, decodeJwt, decodeProtectedHeader, base64url } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app';
import { signSession, verifySession } from '../../src/platform/auth/session-token';
import { hashPassword, verifyPassword } from '../../src/platform/auth/password';
import type { LogLine } from '../../src/platform/log/logger';
import type { Usage } from '../../src/platform/observe/usage';
import { TEST_PASSWORD_ITERATIONS } from '../setup/password';
import { countRows } from './db-snapshot';
import { ORIGIN, PASSWORD, RATE_WINDOW_TEST_TIMEOUT_MS, call, latestEmail, signUpOwner, signUpUser, uniqueEmail, withinOneRateWindow } from './helpers';

/**
 * A sign-up through the app with some of the suite's vars replaced (`call`
 * cannot change them): its answer and how long that took, background work
 * awaited after the clock stops.
 */
let signUpClients = 0;
async function signUpThroughApp(vars: Record<string, string>, body: { email: string; password: string; name: string; tenantName?: string }) {
  // A client address of its own each time, as `call` gives: the per-client sign-up limit stays out of it.
  const client = `10.200.${Math.floor(signUpClients / 250)}.${signUpClients++ % 250}`;
  const request = new Request(`${ORIGIN}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json', 'cf-connecting-ip': client }, body: JSON.stringify(body) });
  const ctx = createExecutionContext();
  const started = performance.now();
  const res = await createApp().fetch(request, { ...env, ...vars }, ctx);
  const ms = performance.now() - started;
  await waitOnExecutionContext(ctx);
  return { res, ms };
}

describe('sign-up', () => {
  it('creates the user and their first tenant as owner, answers 202 with no session, and emails a confirmation link', async () => {
    const email = uniqueEmail();
    const res = await call('POST', '/api/auth/signup', {
      body: { email: email.toUpperCase(), password: PASSWORD, name: 'Ada', tenantName: 'Analytical Engines' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'confirmation_sent', email });
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await latestEmail(email, /^Confirm your email address$/)).to).toBe(email);

    const login = await call('POST', '/api/auth/login', { body: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sid=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const me = await call('GET', '/api/me', { token: login.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      user: { id: expect.stringMatching(/^usr_/), email, name: 'Ada' },
      memberships: [{ tenant: { id: expect.stringMatching(/^ten_/), slug: 'analytical-engines', name: 'Analytical Engines' }, role: 'owner' }],
      emailVerified: false,
      mfaEnabled: false,
    });
  });

  it('without a tenant name creates no tenant', async () => {
    const { token } = await signUpUser('invitee');
    const me = await call('GET', '/api/me', { token });
    expect(me.body.memberships).toEqual([]);
  });

  it('gives a second tenant of the same name its own slug', async () => {
    const a = await signUpOwner('Same Name');
    const b = await signUpOwner('Same Name');
    expect(a.tenant.slug).not.toBe(b.tenant.slug);
    expect(b.tenant.slug).toMatch(/^same-name(-[0-9a-f]{6})?$/);
  });
});

describe('sign-up does not tell which addresses have an account (issue 17, finding 10)', () => {
  it('answers a taken address exactly as a new one, writes no account or tenant, and tells the owner by email', async () => {
    const { user } = await signUpUser('taken');
    const fresh = await call('POST', '/api/auth/signup', { body: { email: uniqueEmail('fresh'), password: PASSWORD, name: 'Second', tenantName: 'X' } });
    const [users, tenants] = [await countRows('users'), await countRows('tenants')];
    const taken = await call('POST', '/api/auth/signup', { body: { email: user.email, password: PASSWORD, name: 'Second', tenantName: 'X' } });
    expect(taken.status).toBe(fresh.status);
    expect(taken.body).toEqual({ ...fresh.body, email: user.email });
    expect([...taken.headers.keys()].sort()).toEqual([...fresh.headers.keys()].sort());
    expect(await countRows('users')).toBe(users);
    expect(await countRows('tenants')).toBe(tenants);
    const notice = await latestEmail(user.email, /^Someone tried to sign up with your address$/);
    expect(notice.text).toMatch(/\/forgot-password/);
    // The intruder's password opens nothing.
    expect((await call('POST', '/api/auth/login', { body: { email: user.email, password: 'another password entirely' } })).status).toBe(401);
  });

  it('does the same work for a taken address as for a new one: one full-strength hash, the same round trips, one email', async () => {
    const { user } = await signUpUser('same-work');
    // The work, not the clock: a timing comparison is noise on a shared CI machine, while the cause of a
    // timing difference (a skipped hash, a round trip less, no email) is exact. At full strength, as deployed.
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    const workOf = async (email: string) => {
      derive.mockClear();
      const lines: LogLine[] = [];
      const request = new Request(`${ORIGIN}/api/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': `10.201.0.${signUpClients++ % 250}` },
        body: JSON.stringify({ email, password: PASSWORD, name: 'T', tenantName: 'Same work' }),
      });
      const ctx = createExecutionContext();
      const res = await createApp({ logSink: (line) => lines.push(line) }).fetch(request, { ...env, PASSWORD_ITERATIONS: '' }, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(202);
      const usage = lines.find((l) => l.msg === 'request')?.usage as Usage;
      const iterations = derive.mock.calls.map(([params]) => (params as { iterations?: number }).iterations);
      return { iterations, roundTrips: usage.d1RoundTrips, emails: usage.emails, queueMessages: usage.queueMessages };
    };
    try {
      const fresh = await workOf(uniqueEmail('same-work'));
      const taken = await workOf(user.email);
      expect(fresh.iterations).toEqual([100_000]);
      expect(taken).toEqual(fresh);
    } finally {
      derive.mockRestore();
    }
  });
});

describe('sign-up input', () => {
  it('validates input with details and writes nothing', async () => {
    const users = await countRows('users');
    const res = await call('POST', '/api/auth/signup', { body: { email: 'not-an-email', password: 'short', name: '' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.details.fieldErrors).sort()).toEqual(['email', 'name', 'password']);
    expect(await countRows('users')).toBe(users);
  });
});

describe('sign-in and sign-out', () => {
  it('signs in with the right password, case-insensitively on email', async () => {
    const { user } = await signUpUser('login');
    const res = await call('POST', '/api/auth/login', { body: { email: user.email.toUpperCase(), password: PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual(user);
    expect((await call('GET', '/api/me', { token: res.body.token })).status).toBe(200);
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const { user } = await signUpUser('login');
    const wrong = await call('POST', '/api/auth/login', { body: { email: user.email, password: 'not the password' } });
    const unknown = await call('POST', '/api/auth/login', { body: { email: uniqueEmail(), password: PASSWORD } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('signs out by clearing the cookie', async () => {
    const res = await call('POST', '/api/auth/logout');
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(/^sid=;.*Max-Age=0/);
  });

  it('reads the session from the cookie as well as from a Bearer token', async () => {
    const { token, user } = await signUpUser('cookie');
    const res = await call('GET', '/api/me', { headers: { cookie: `sid=${token}` } });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(user.id);
  });
});

describe('session tokens', () => {
  const secret = env.JWT_SECRET;

  async function forge(header: Record<string, unknown>, payload: Record<string, unknown>, key: Uint8Array | null) {
    if (!key) {
      const enc = (v: unknown) => base64url.encode(JSON.stringify(v));
      return `${enc(header)}.${enc(payload)}.`;
    }
    return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);
  }

  async function claimsFor(userId: string) {
    const real = await signSession(env, userId, 'ses_any');
    return { kid: decodeProtectedHeader(real).kid, now: Math.floor(Date.now() / 1000) };
  }

  it('refuses no token with 401 on a protected route', async () => {
    const res = await call('GET', '/api/me');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('refuses alg: none, a tampered payload, a foreign key, and an expired token', async () => {
    const { user, token: real } = await signUpUser('forged');
    const victim = await signUpUser('victim');
    const { kid, now } = await claimsFor(user.id);
    // The claims of the user's real session (its record exists), re-signed by each forgery.
    const claims = { sub: user.id, sid: decodeJwt(real).sid, iss: 'saas-slice', aud: 'saas-slice:session', iat: now, exp: now + 600 };
    const key = new TextEncoder().encode(secret);

    const [h, , s] = real.split('.');
    const tampered = `${h}.${base64url.encode(JSON.stringify({ ...claims, sub: victim.user.id }))}.${s}`;

    const tokens = {
      algNone: await forge({ alg: 'none', kid }, claims, null),
      tampered,
      otherKey: await forge({ alg: 'HS256', kid }, claims, new TextEncoder().encode('x'.repeat(40))),
      expired: await forge({ alg: 'HS256', kid }, { ...claims, iat: now - 7200, exp: now - 3600 }, key),
      wrongAudience: await forge({ alg: 'HS256', kid }, { ...claims, aud: 'someone-else' }, key),
      garbage: 'not.a.jwt',
    };
    for (const [name, token] of Object.entries(tokens)) {
      const res = await call('GET', '/api/me', { token });
      expect(res.status, name).toBe(401);
      expect(res.body.error.code, name).toBe('unauthenticated');
    }
    // The well-formed control token, signed with the same helper, is accepted.
    expect((await call('GET', '/api/me', { token: await forge({ alg: 'HS256', kid }, claims, key) })).status).toBe(200);
  });

  it('keeps sessions signed with the previous key valid during a rotation', async () => {
    const oldEnv = { JWT_SECRET: 'old-secret-0123456789abcdef0123456789abcdef' };
    const rotated = { JWT_SECRET: 'new-secret-0123456789abcdef0123456789abcdef', JWT_PREVIOUS_SECRET: oldEnv.JWT_SECRET };
    const oldToken = await signSession(oldEnv, 'usr_1', 'ses_1');
    const newToken = await signSession(rotated, 'usr_1', 'ses_2');
    expect(decodeProtectedHeader(oldToken).kid).not.toBe(decodeProtectedHeader(newToken).kid);
    expect(await verifySession(rotated, oldToken)).toEqual({ ok: true, userId: 'usr_1', sessionId: 'ses_1' });
    expect(await verifySession(rotated, newToken)).toEqual({ ok: true, userId: 'usr_1', sessionId: 'ses_2' });
    // Once the rotation is over, the old key is gone.
    expect((await verifySession({ JWT_SECRET: rotated.JWT_SECRET }, oldToken)).ok).toBe(false);
  });

  it('checks a token\'s signature once per isolate, and again for no other token', async () => {
    const token = await signSession(env, 'usr_remembered', 'ses_remembered');
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      for (let i = 0; i < 3; i++) expect(await verifySession(env, token)).toEqual({ ok: true, userId: 'usr_remembered', sessionId: 'ses_remembered' });
      expect(verify).toHaveBeenCalledTimes(1);
      // The same claims under another signature are another token: checked, and refused.
      const [head, body] = token.split('.');
      expect((await verifySession(env, `${head}.${body}.${base64url.encode(new Uint8Array(32))}`)).ok).toBe(false);
      expect(verify).toHaveBeenCalledTimes(2);
    } finally {
      verify.mockRestore();
    }
  });

  it('imports each signing key once per isolate, not per request', async () => {
    await signSession(env, 'usr_warm', 'ses_warm');
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    try {
      for (let i = 0; i < 5; i++) await verifySession(env, await signSession(env, `usr_${i}`, `ses_${i}`));
      expect(importKey).not.toHaveBeenCalled();
    } finally {
      importKey.mockRestore();
    }
  });

  it('rejects a token whose session record does not exist', async () => {
    const token = await signSession(env, 'usr_deleted', 'ses_never_made');
    expect((await call('GET', '/api/me', { token })).status).toBe(401);
  });
});

describe('password hashing', () => {
  const PRODUCTION = { ENVIRONMENT: 'production' };

  it('salts each hash and verifies only the right password', async () => {
    const a = await hashPassword(PRODUCTION, 'same password');
    const b = await hashPassword(PRODUCTION, 'same password');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^pbkdf2_sha256\$100000\$/);
    expect(await verifyPassword('same password', a)).toBe(true);
    expect(await verifyPassword('other password', a)).toBe(false);
    expect(await verifyPassword('same password', 'garbage')).toBe(false);
  });

  it('hashes at full strength outside tests whatever PASSWORD_ITERATIONS says; in tests at its lower count, which verifies the same way', async () => {
    for (const ENVIRONMENT of ['production', 'staging', 'development']) {
      expect(await hashPassword({ ENVIRONMENT, PASSWORD_ITERATIONS: '1' }, 'pw'), ENVIRONMENT).toMatch(/^pbkdf2_sha256\$100000\$/);
    }
    // Not a count at all, or not lower: full strength in tests too.
    for (const PASSWORD_ITERATIONS of ['0', '-5', '1.5', 'many', '200000']) {
      expect(await hashPassword({ ENVIRONMENT: 'test', PASSWORD_ITERATIONS }, 'pw'), PASSWORD_ITERATIONS).toMatch(/^pbkdf2_sha256\$100000\$/);
    }
    const cheap = await hashPassword({ ENVIRONMENT: 'test', PASSWORD_ITERATIONS: '1000' }, 'pw');
    expect(cheap).toMatch(/^pbkdf2_sha256\$1000\$/);
    expect(await verifyPassword('pw', cheap)).toBe(true);
    expect(await verifyPassword('other', cheap)).toBe(false);
  });

  it('a sign-up in a deployed environment stores a full-strength hash though the var is set; the test environment at its lower count', async () => {
    const storedHash = async (vars: Record<string, string>) => {
      const email = uniqueEmail('strength');
      const { res } = await signUpThroughApp(vars, { email, password: PASSWORD, name: 'Strength' });
      expect(res.status).toBe(202);
      const row = await env.DB.prepare('SELECT password_hash AS hash FROM users WHERE email = ?').bind(email).first<{ hash: string }>();
      return row?.hash;
    };
    for (const ENVIRONMENT of ['production', 'staging']) expect(await storedHash({ ENVIRONMENT }), ENVIRONMENT).toMatch(/^pbkdf2_sha256\$100000\$/);
    expect(await storedHash({})).toMatch(new RegExp(`^pbkdf2_sha256\\$${TEST_PASSWORD_ITERATIONS}\\$`));
  });
});

describe('cross-site requests', () => {
  it('refuses a cookie-authenticated form post from another origin and writes nothing', async () => {
    const { token } = await signUpUser('csrf');
    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie: `sid=${token}` };
    const foreign = await call('POST', '/api/tenants', { rawBody: 'name=Evil', headers: { ...form, origin: 'https://evil.test' } });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('forbidden');
    const me = await call('GET', '/api/me', { token });
    expect(me.body.memberships).toEqual([]);
  });
});

describe('sign-in rate limit (issue 17, finding 8)', () => {
  const attacker = { 'cf-connecting-ip': '203.0.113.66' };
  const login = (email: string, password: string, headers: Record<string, string>) => call('POST', '/api/auth/login', { body: { email, password }, headers });

  it('slows one client guessing one account, and the owner elsewhere still signs in', async () => {
    const { user } = await signUpUser('guessed');
    await withinOneRateWindow();
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await login(user.email, `guess ${i}`, attacker)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    const limited = await login(user.email, PASSWORD, attacker);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    // The victim, from their own address, is not locked out by the attacker's guesses.
    expect((await login(user.email, PASSWORD, { 'cf-connecting-ip': '198.51.100.7' })).status).toBe(200);
  }, RATE_WINDOW_TEST_TIMEOUT_MS);

  it('slows one client spraying one password across many addresses', async () => {
    const sprayer = { 'cf-connecting-ip': '203.0.113.99' };
    await withinOneRateWindow();
    const statuses = [];
    for (let i = 0; i < 40; i++) statuses.push((await login(`spray-${i}-${crypto.randomUUID().slice(0, 6)}@example.test`, 'Winter2026!', sprayer)).status);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(statuses.slice(30)).toEqual(Array(10).fill(429));
  }, RATE_WINDOW_TEST_TIMEOUT_MS);
});

describe('sign-up rate limit (issue 17, finding 9)', () => {
  it('answers 429 after 20 sign-ups a minute from one client, and writes nothing', async () => {
    const flood = { 'cf-connecting-ip': '203.0.113.20' };
    const statuses = [];
    let refusedEmail = '';
    await withinOneRateWindow();
    for (let i = 0; i < 21; i++) {
      refusedEmail = uniqueEmail('flood');
      statuses.push((await call('POST', '/api/auth/signup', { body: { email: refusedEmail, password: PASSWORD, name: 'F', tenantName: 'Flood' }, headers: flood })).status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(202));
    expect(statuses[20]).toBe(429);
    // The refused sign-up left no account: its address can still sign up from elsewhere, and then sign in.
    expect((await call('POST', '/api/auth/signup', { body: { email: refusedEmail, password: PASSWORD, name: 'F' } })).status).toBe(202);
    expect((await call('POST', '/api/auth/login', { body: { email: refusedEmail, password: PASSWORD } })).status).toBe(200);
  }, RATE_WINDOW_TEST_TIMEOUT_MS);
});

