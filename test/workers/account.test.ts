/**
 * Account security (issue 11), black-box over HTTP: revocable sessions,
 * email verification, password reset and change, TOTP two-factor, the
 * organisation's 2FA requirement, the security log.
 */
import { describe, expect, it } from 'vitest';
import { timeStep, totpCode } from '../../src/features/account/totp';
import { PASSWORD, RATE_WINDOW_TEST_TIMEOUT_MS, addMember, call, latestEmail, linkToken, signUpAndSignIn, signUpOwner, signUpUser, tokenOf, uniqueEmail, verifyEmailOf, withinOneRateWindow } from './helpers';

const NEW_PASSWORD = 'a brand new passphrase';

const login = (email: string, password = PASSWORD) => call('POST', '/api/auth/login', { body: { email, password } });

/** A code for the current time step from an enrolment secret, as an authenticator app computes it. */
const codeNow = (secret: string, offsetSteps = 0) => totpCode(secret, timeStep(Date.now()) + offsetSteps);

async function enrolMfa(token: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await call('POST', '/api/me/mfa/setup', { token });
  expect(setup.status).toBe(200);
  expect(setup.body.otpauthUrl).toContain(`secret=${setup.body.secret}`);
  // The previous step's code: sign-in tests below use the current one, which must still be unused.
  const confirm = await call('POST', '/api/me/mfa/confirm', { token, body: { code: await codeNow(setup.body.secret, -1) } });
  expect(confirm.status).toBe(200);
  return { secret: setup.body.secret, recoveryCodes: confirm.body.recoveryCodes };
}

describe('TOTP', () => {
  it('matches RFC 6238 test vectors (SHA-1, truncated to 6 digits)', async () => {
    // Secret "12345678901234567890" in base32; RFC 6238 appendix B lists 94287082 and 07081804 (8 digits) at T=59 and T=1111111109.
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(await totpCode(secret, Math.floor(59 / 30))).toBe('287082');
    expect(await totpCode(secret, Math.floor(1111111109 / 30))).toBe('081804');
  });
});

describe('sessions', () => {
  it('refuses a token after logout', async () => {
    const { token } = await signUpUser('leaver');
    expect((await call('GET', '/api/me', { token })).status).toBe(200);
    expect((await call('POST', '/api/auth/logout', { token })).status).toBe(204);
    const after = await call('GET', '/api/me', { token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthenticated');
  });

  it('lists sessions, revokes one, then all others', async () => {
    const { user, token: first } = await signUpUser('many');
    const second = (await login(user.email)).body.token as string;
    const third = (await login(user.email)).body.token as string;
    const list = await call('GET', '/api/me/sessions', { token: first });
    expect(list.status).toBe(200);
    expect(list.body.sessions).toHaveLength(3);
    expect(list.body.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(Object.keys(list.body.sessions[0]).sort()).toEqual(['country', 'createdAt', 'current', 'id', 'lastSeenAt', 'userAgent']);

    const secondId = (await call('GET', '/api/me/sessions', { token: second })).body.sessions.find((s: { current: boolean }) => s.current).id;
    expect((await call('DELETE', `/api/me/sessions/${secondId}`, { token: first })).status).toBe(204);
    expect((await call('GET', '/api/me', { token: second })).status).toBe(401);
    expect((await call('GET', '/api/me', { token: third })).status).toBe(200);

    expect((await call('DELETE', '/api/me/sessions', { token: first })).status).toBe(204);
    expect((await call('GET', '/api/me', { token: third })).status).toBe(401);
    expect((await call('GET', '/api/me', { token: first })).status).toBe(200);
  });

  it("cannot revoke another user's session (404)", async () => {
    const a = await signUpUser('a');
    const b = await signUpUser('b');
    const bSession = (await call('GET', '/api/me/sessions', { token: b.token })).body.sessions[0].id;
    expect((await call('DELETE', `/api/me/sessions/${bSession}`, { token: a.token })).status).toBe(404);
    expect((await call('GET', '/api/me', { token: b.token })).status).toBe(200);
  });
});

describe('email verification', () => {
  it('an unverified owner cannot invite, check out or create a second organisation (403 email_unverified); after the link, can', async () => {
    const owner = await signUpOwner('Unproven', { verified: false });
    const base = `/api/t/${owner.tenant.slug}`;
    const me = await call('GET', '/api/me', { token: owner.token });
    expect(me.body).toMatchObject({ emailVerified: false, mfaEnabled: false });

    const refused = [
      await call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail(), role: 'member' } }),
      await call('POST', `${base}/billing/checkout`, { token: owner.token, body: { plan: 'pro', seats: 3 } }),
      await call('POST', '/api/tenants', { token: owner.token, body: { name: 'Second' } }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('email_unverified');
    }
    expect((await call('GET', `${base}/invitations`, { token: owner.token })).body.invitations).toEqual([]);

    expect((await call('POST', '/api/auth/verify-email/resend', { token: owner.token })).status).toBe(202);
    const token = linkToken((await latestEmail(owner.user.email, /^Confirm your email address$/)).text);
    expect((await call('POST', '/api/auth/verify-email', { body: { token } })).status).toBe(204);
    // Single use.
    expect((await call('POST', '/api/auth/verify-email', { body: { token } })).status).toBe(400);
    expect((await call('GET', '/api/me', { token: owner.token })).body.emailVerified).toBe(true);
    expect((await call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail(), role: 'member' } })).status).toBe(201);
    expect((await call('POST', '/api/tenants', { token: owner.token, body: { name: 'Second' } })).status).toBe(201);
  });

  it('an unverified user without an organisation may create their first', async () => {
    const user = await signUpUser('first-org', { verified: false });
    expect((await call('POST', '/api/tenants', { token: user.token, body: { name: 'Mine' } })).status).toBe(201);
  });

  it('accepting an invitation through its emailed link verifies that address', async () => {
    const owner = await signUpOwner('Inviter');
    const email = uniqueEmail('invitee');
    const invite = await call('POST', `/api/t/${owner.tenant.slug}/invitations`, { token: owner.token, body: { email, role: 'member' } });
    const { token } = await signUpAndSignIn({ email, name: 'Invitee' }, false);
    expect((await call('GET', '/api/me', { token })).body.emailVerified).toBe(false);
    expect((await call('POST', `/api/invitations/${tokenOf(invite.body.acceptUrl)}/accept`, { token })).status).toBe(200);
    expect((await call('GET', '/api/me', { token })).body.emailVerified).toBe(true);
  });

  it('an email change takes effect only once the new address is verified', async () => {
    const { user, token } = await signUpUser('mover');
    const to = uniqueEmail('moved');
    expect((await call('POST', '/api/me/email', { token, body: { email: to, currentPassword: 'wrong password' } })).status).toBe(400);
    expect((await call('POST', '/api/me/email', { token, body: { email: to, currentPassword: PASSWORD } })).status).toBe(202);
    expect((await call('GET', '/api/me', { token })).body.user.email).toBe(user.email);
    const link = linkToken((await latestEmail(to, /^Confirm your new email address$/)).text);
    expect((await call('POST', '/api/auth/verify-email', { body: { token: link } })).status).toBe(204);
    const me = await call('GET', '/api/me', { token });
    expect(me.body.user.email).toBe(to);
    expect(me.body.emailVerified).toBe(true);
    expect((await login(to)).status).toBe(200);
  });
});

describe('password reset', () => {
  const reset = (email: string, ip = '192.0.2.1') => call('POST', '/api/auth/password-reset', { body: { email }, headers: { 'cf-connecting-ip': ip } });

  it('answers a known and an unknown address alike: status, body and time', async () => {
    const { user } = await signUpUser('known');
    const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) {
      for (const kind of ['known', 'unknown'] as const) {
        const email = kind === 'known' ? user.email : uniqueEmail('nobody');
        const started = performance.now();
        // A fresh client address per request: the per-address limit allows 5 a minute.
        const res = await reset(email, `192.0.2.${10 + i}`);
        times[kind].push(performance.now() - started);
        answers.add(JSON.stringify([res.status, res.body]));
      }
    }
    expect([...answers]).toEqual([JSON.stringify([202, { status: 'sent' }])]);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    // The lookup happens after the answer, so the two medians are within noise of each other.
    expect(Math.abs(median(times.known) - median(times.unknown))).toBeLessThan(Math.max(25, median(times.unknown)));
  });

  it('resets once with an hour-long link, revokes every session and every other link', async () => {
    const { user, token: oldSession } = await signUpUser('forgetful');
    await reset(user.email);
    const first = linkToken((await latestEmail(user.email, /^Reset your password$/)).text);
    await reset(user.email);
    const second = linkToken((await latestEmail(user.email, /^Reset your password$/)).text);
    expect(second).not.toBe(first);

    expect((await call('POST', '/api/auth/password-reset/confirm', { body: { token: second, password: NEW_PASSWORD } })).status).toBe(204);
    expect((await call('GET', '/api/me', { token: oldSession })).status).toBe(401);
    // The used link and the other outstanding one are both dead.
    for (const token of [second, first]) {
      const again = await call('POST', '/api/auth/password-reset/confirm', { body: { token, password: 'yet another passphrase' } });
      expect(again.status).toBe(400);
    }
    expect((await login(user.email)).status).toBe(401);
    expect((await login(user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it("the real owner's reset takes the account back from someone who signed up with their address", async () => {
    const email = uniqueEmail('squatted');
    expect((await call('POST', '/api/auth/signup', { body: { email, password: PASSWORD, name: 'Squatter', tenantName: 'Squat' } })).status).toBe(202);
    const squatter = await login(email);
    expect(squatter.status).toBe(200);
    await reset(email);
    const token = linkToken((await latestEmail(email, /^Reset your password$/)).text);
    expect((await call('POST', '/api/auth/password-reset/confirm', { body: { token, password: NEW_PASSWORD } })).status).toBe(204);
    expect((await call('GET', '/api/me', { token: squatter.body.token })).status).toBe(401);
    const owner = await login(email, NEW_PASSWORD);
    expect((await call('GET', '/api/me', { token: owner.body.token })).body.emailVerified).toBe(true);
  });

  it('is rate limited per address and per client', async () => {
    const email = uniqueEmail('hammered');
    await withinOneRateWindow(10_000);
    const perAddress = [];
    for (let i = 0; i < 6; i++) perAddress.push((await reset(email, `198.51.100.${i + 1}`)).status);
    expect(perAddress).toEqual([202, 202, 202, 202, 202, 429]);
    const perClient = [];
    for (let i = 0; i < 6; i++) perClient.push((await reset(uniqueEmail('sprayed'), '198.51.100.200')).status);
    expect(perClient).toEqual([202, 202, 202, 202, 202, 429]);
  }, RATE_WINDOW_TEST_TIMEOUT_MS);
});

describe('change password', () => {
  it('needs the current password, and signs out every other session', async () => {
    const { user, token } = await signUpUser('changer');
    const other = (await login(user.email)).body.token as string;
    const wrong = await call('POST', '/api/me/password', { token, body: { currentPassword: 'not it at all', newPassword: NEW_PASSWORD } });
    expect(wrong.status).toBe(400);
    expect((await call('POST', '/api/me/password', { token, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } })).status).toBe(204);
    expect((await call('GET', '/api/me', { token })).status).toBe(200);
    expect((await call('GET', '/api/me', { token: other })).status).toBe(401);
    expect((await login(user.email, NEW_PASSWORD)).status).toBe(200);
  });
});

describe('two-factor sign-in', () => {
  it('signs in in two steps with a code computed from the enrolment secret; the same code twice does not', async () => {
    const { user, token } = await signUpUser('mfa');
    const { secret, recoveryCodes } = await enrolMfa(token);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect((await call('GET', '/api/me', { token })).body.mfaEnabled).toBe(true);

    const first = await login(user.email);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String) });
    expect(first.headers.get('set-cookie')).toBeNull();
    // The mfaToken is not a session.
    expect((await call('GET', '/api/me', { token: first.body.mfaToken })).status).toBe(401);

    const code = await codeNow(secret);
    const second = await call('POST', '/api/auth/login/mfa', { body: { mfaToken: first.body.mfaToken, code } });
    expect(second.status).toBe(200);
    expect((await call('GET', '/api/me', { token: second.body.token })).status).toBe(200);

    const replay = await call('POST', '/api/auth/login/mfa', { body: { mfaToken: (await login(user.email)).body.mfaToken, code } });
    expect(replay.status).toBe(401);
    const wrong = await call('POST', '/api/auth/login/mfa', { body: { mfaToken: (await login(user.email)).body.mfaToken, code: '000000' === code ? '111111' : '000000' } });
    expect(wrong.status).toBe(401);
  });

  it('a recovery code works once', async () => {
    const { user, token } = await signUpUser('recovery');
    const { recoveryCodes } = await enrolMfa(token);
    const code = recoveryCodes[3] ?? '';
    const once = await call('POST', '/api/auth/login/mfa', { body: { mfaToken: (await login(user.email)).body.mfaToken, code } });
    expect(once.status).toBe(200);
    const twice = await call('POST', '/api/auth/login/mfa', { body: { mfaToken: (await login(user.email)).body.mfaToken, code } });
    expect(twice.status).toBe(401);
  });

  it('turning it off needs a current code, and ends other sessions', async () => {
    const { user, token } = await signUpUser('disabler');
    const { secret } = await enrolMfa(token);
    const withoutCode = await call('POST', '/api/me/mfa/disable', { token, body: { code: '123456' === (await codeNow(secret)) ? '654321' : '123456' } });
    expect(withoutCode.status).toBe(400);
    const step = await login(user.email);
    const other = (await call('POST', '/api/auth/login/mfa', { body: { mfaToken: step.body.mfaToken, code: await codeNow(secret) } })).body.token as string;
    expect((await call('POST', '/api/me/mfa/disable', { token, body: { code: await codeNow(secret, 1) } })).status).toBe(204);
    expect((await call('GET', '/api/me', { token: other })).status).toBe(401);
    expect((await login(user.email)).body.token).toEqual(expect.any(String));
  });

  it('an owner can require 2FA: members without it are refused the tenant (403 mfa_required); API keys are not', async () => {
    const owner = await signUpOwner('Strict');
    const base = `/api/t/${owner.tenant.slug}`;
    const admin = await addMember(owner, 'admin');
    const key = await call('POST', `${base}/api-keys`, { token: owner.token, body: { name: 'CI', role: 'member' } });
    expect(key.status).toBe(201);

    expect((await call('PATCH', base, { token: admin.token, body: { requireMfa: true } })).status).toBe(403);
    await enrolMfa(owner.token);
    expect((await call('PATCH', base, { token: owner.token, body: { requireMfa: true } })).status).toBe(200);

    const refused = await call('GET', `${base}/projects`, { token: admin.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('mfa_required');
    expect((await call('GET', `${base}/projects`, { token: owner.token })).status).toBe(200);
    expect((await call('GET', `${base}/projects`, { token: key.body.secret })).status).toBe(200);

    await enrolMfa(admin.token);
    expect((await call('GET', `${base}/projects`, { token: admin.token })).status).toBe(200);
  });
});

describe('security log', () => {
  it('records sign-ins (success and failure), password changes and revocations for its user only', async () => {
    const { user, token } = await signUpUser('logged');
    await login(user.email, 'not the password');
    await login(user.email);
    await call('POST', '/api/me/password', { token, body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    await call('DELETE', '/api/me/sessions', { token });
    const log = await call('GET', '/api/me/security-log?limit=3', { token });
    expect(log.status).toBe(200);
    expect(log.body.entries.map((e: { event: string }) => e.event)).toEqual(['sessions.revoked_others', 'password.changed', 'signin.succeeded']);
    const rest = await call('GET', `/api/me/security-log?cursor=${log.body.nextCursor}`, { token });
    expect(rest.body.entries.map((e: { event: string }) => e.event)).toEqual(['signin.failed', 'signin.succeeded', 'email.verified', 'signup']);
    expect(rest.body.nextCursor).toBeNull();

    const stranger = await signUpUser('stranger');
    const theirs = await call('GET', '/api/me/security-log', { token: stranger.token });
    expect(theirs.body.entries.map((e: { event: string }) => e.event)).toEqual(['signin.succeeded', 'email.verified', 'signup']);
  });
});

describe('dev mailbox JSON', () => {
  it('lists emails newest first with id, to, subject, text and createdAt', async () => {
    const { user } = await signUpUser('mailbox', { verified: false });
    await verifyEmailOf(user.email);
    await call('POST', '/api/auth/password-reset', { body: { email: user.email } });
    const email = await latestEmail(user.email, /./);
    expect(Object.keys(email).sort()).toEqual(['createdAt', 'id', 'subject', 'text', 'to']);
    expect(email.subject).toBe('Reset your password');
  });
});
