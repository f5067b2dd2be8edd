/**
 * TOTP secrets sealed at rest (features/account/secret-seal.ts): what D1
 * holds is never the seed; values of the previous key and plain ones stored
 * before sealing still open, and the re-seal job moves them to the current
 * key; a value that does not open refuses codes (401, not 500).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { openTotpSecret, resealTotpSecrets, sealTotpSecret } from '../../src/features/account/secret-seal';
import { newTotpSecret, timeStep, totpCode } from '../../src/features/account/totp';
import { serviceContext } from '../../src/platform/context';
import type { Env } from '../../src/platform/env';
import { PASSWORD, call, signUpUser } from './helpers';
import { recordingStatements } from './db-snapshot';

const appEnv: Env = env;
const previousKeyOnly = { MFA_SEALING_KEY: appEnv.MFA_SEALING_PREVIOUS_KEY ?? '' };

const codeNow = (secret: string, offsetSteps = 0) => totpCode(secret, timeStep(Date.now()) + offsetSteps);

async function stored(userId: string) {
  return (await env.DB.prepare('SELECT mfa_secret AS active, mfa_pending_secret AS pending FROM users WHERE id = ?').bind(userId).first<{ active: string | null; pending: string | null }>())!;
}

/** Puts `value` in a user's mfa_secret, as an older version or an altered backup would have left it. */
async function storeActive(userId: string, value: string): Promise<void> {
  await env.DB.prepare('UPDATE users SET mfa_secret = ?, mfa_last_step = NULL WHERE id = ?').bind(value, userId).run();
}

/** The two-step sign-in with `code` as the second step. */
async function signIn(email: string, code: string) {
  const first = await call('POST', '/api/auth/login', { body: { email, password: PASSWORD } });
  expect(first.body.mfaRequired).toBe(true);
  return call('POST', '/api/auth/login/mfa', { body: { mfaToken: first.body.mfaToken, code } });
}

const reseal = () => resealTotpSecrets.run(serviceContext(appEnv, 'test-totp-reseal'), Date.now());
const currentKid = async () => (await sealTotpSecret(appEnv, 'any', newTotpSecret())).split('.')[1];

describe('TOTP secrets at rest', () => {
  it('stores the pending and the active secret sealed; enrolment, sign-in, a recovery code and disabling still work', async () => {
    const { user, token } = await signUpUser('sealed');
    const setup = await call('POST', '/api/me/mfa/setup', { token });
    expect(setup.status).toBe(200);
    const secret = setup.body.secret as string;
    const pending = (await stored(user.id)).pending!;
    expect(pending).toMatch(/^v1\.[0-9a-f]{12}\.[\w-]+$/);
    expect(pending).not.toContain(secret);

    const confirm = await call('POST', '/api/me/mfa/confirm', { token, body: { code: await codeNow(secret, -1) } });
    expect(confirm.status).toBe(200);
    const after = await stored(user.id);
    expect(after.pending).toBeNull();
    expect(after.active).toMatch(/^v1\.[0-9a-f]{12}\./);
    expect(after.active).not.toContain(secret);
    // Sealed anew when it became active: the pending value is not reused.
    expect(after.active).not.toBe(pending);

    expect((await signIn(user.email, await codeNow(secret))).status).toBe(200);
    expect((await signIn(user.email, confirm.body.recoveryCodes[0])).status).toBe(200);
    expect((await call('POST', '/api/me/mfa/disable', { token, body: { code: await codeNow(secret, 1) } })).status).toBe(204);
    expect(await stored(user.id)).toEqual({ active: null, pending: null });
  });

  it('opens a value sealed with the previous key, and the job re-seals it under the current one', async () => {
    expect(appEnv.MFA_SEALING_PREVIOUS_KEY).toEqual(expect.any(String));
    const { user } = await signUpUser('rotated');
    const secret = newTotpSecret();
    const old = await sealTotpSecret(previousKeyOnly, user.id, secret);
    await storeActive(user.id, old);
    expect(old.split('.')[1]).not.toBe(await currentKid());

    expect((await signIn(user.email, await codeNow(secret, -1))).status).toBe(200);
    expect(await reseal()).toEqual({ resealed: 1, unopenable: 0 });
    const resealed = (await stored(user.id)).active!;
    expect(resealed.split('.')[1]).toBe(await currentKid());
    expect((await signIn(user.email, await codeNow(secret))).status).toBe(200);
    // Nothing left to do: the previous key could now go.
    expect(await reseal()).toEqual({ resealed: 0, unopenable: 0 });
    // Without the previous key configured, the old value would not have opened.
    expect((await openTotpSecret({ MFA_SEALING_KEY: appEnv.MFA_SEALING_KEY }, user.id, old)).ok).toBe(false);
  });

  it('accepts a plain secret stored before sealing, and the job seals it', async () => {
    const { user, token } = await signUpUser('legacy');
    const secret = newTotpSecret();
    await storeActive(user.id, secret);
    expect((await signIn(user.email, await codeNow(secret, -1))).status).toBe(200);
    // A plain pending secret (an enrolment left half-done) too.
    const pendingSecret = newTotpSecret();
    await env.DB.prepare('UPDATE users SET mfa_secret = NULL, mfa_pending_secret = ? WHERE id = ?').bind(pendingSecret, user.id).run();
    const { user: other } = await signUpUser('legacy-active');
    await storeActive(other.id, secret);

    expect(await reseal()).toEqual({ resealed: 2, unopenable: 0 });
    expect((await stored(user.id)).pending).toMatch(/^v1\./);
    expect((await stored(other.id)).active).toMatch(/^v1\./);
    expect((await stored(other.id)).active).not.toContain(secret);
    const confirm = await call('POST', '/api/me/mfa/confirm', { token, body: { code: await codeNow(pendingSecret) } });
    expect(confirm.status).toBe(200);
    expect((await signIn(other.email, await codeNow(secret))).status).toBe(200);
  });

  it('refuses every code for a value that does not open (altered, or copied from another account), not 500; a recovery code still works', async () => {
    const { user: victim, token } = await signUpUser('tampered');
    const setup = await call('POST', '/api/me/mfa/setup', { token });
    const confirm = await call('POST', '/api/me/mfa/confirm', { token, body: { code: await codeNow(setup.body.secret, -1) } });
    const sealed = (await stored(victim.id)).active!;
    const flipped = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`;
    await storeActive(victim.id, flipped);

    const refused = await signIn(victim.email, await codeNow(setup.body.secret));
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthenticated');
    expect((await signIn(victim.email, confirm.body.recoveryCodes[0])).status).toBe(200);

    // Someone who can write D1 copies their own sealed secret into another row: it does not open there.
    const { user: attacker } = await signUpUser('copier');
    const own = newTotpSecret();
    await storeActive(attacker.id, await sealTotpSecret(appEnv, attacker.id, own));
    await storeActive(victim.id, (await stored(attacker.id)).active!);
    expect((await signIn(victim.email, await codeNow(own))).status).toBe(401);

    // The job leaves such a value as it is, and says so.
    expect(await reseal()).toEqual({ resealed: 0, unopenable: 0 });
    await storeActive(victim.id, flipped.replace(/^v1\.[0-9a-f]{12}/, 'v1.000000000000'));
    expect(await reseal()).toEqual({ resealed: 0, unopenable: 1 });
    expect((await stored(victim.id)).active).toMatch(/^v1\.000000000000\./);
  });

  it('finds the rows to re-seal through the partial indexes, never a scan of users', async () => {
    const { db: recording, statements } = recordingStatements(env.DB);
    await resealTotpSecrets.run(serviceContext({ ...appEnv, DB: recording }, 'test-totp-reseal-plan'), Date.now());
    const [select] = statements;
    expect(select).toMatch(/^select .* from "users" where .* limit \?$/);
    const params = (select!.match(/\?/g) ?? []).map((_, i, all) => (i === all.length - 1 ? 100 : 'v1.000000000000.'));
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${select}`).bind(...params).all<{ detail: string }>();
    const details = plan.results.map(({ detail }) => detail);
    expect(details.filter((detail) => /^SCAN |USING AUTOMATIC/.test(detail)), details.join('\n')).toEqual([]);
    expect(details).toEqual(expect.arrayContaining([expect.stringContaining('users_mfa_secret_idx'), expect.stringContaining('users_mfa_pending_secret_idx')]));
  });
});
