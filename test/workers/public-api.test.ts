/**
 * The public API as a product, black-box through the Worker's fetch:
 * idempotent creates, rate limits per key and per tenant, scoped and
 * expiring API keys.
 */
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { noticeExpiringApiKeys } from '../../src/features/api-keys/jobs';
import { REMEMBER_REFUSAL_MS } from '../../src/features/public-api/leases';
import { CALLER_RATE_LIMIT } from '../../src/features/public-api/policy';
import { LEASE_PARTS } from '../../src/features/public-api/rate-window';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceContext } from '../../src/platform/context';
import { call, ORIGIN, signUpOwner, type SignedUp } from './helpers';

async function countRows(table: string, tenantId: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).bind(tenantId).first<{ n: number }>();
  return row?.n ?? 0;
}

async function createKey(owner: SignedUp, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await call('POST', `/api/t/${owner.tenant.slug}/api-keys`, { token: owner.token, body: { name: 'Client', role: 'member', ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.apiKey.id, secret: res.body.secret };
}

describe('Idempotency-Key', () => {
  it('replays the first answer to the same key and body, creating one row', async () => {
    const owner = await signUpOwner();
    const path = `/api/t/${owner.tenant.slug}/projects`;
    const headers = { 'Idempotency-Key': crypto.randomUUID() };
    const first = await call('POST', path, { token: owner.token, body: { name: 'Once' }, headers });
    const again = await call('POST', path, { token: owner.token, body: { name: 'Once' }, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    expect(await countRows('projects', owner.tenant.id)).toBe(1);
    const audit = await env.DB.prepare(`SELECT count(*) AS n FROM audit_log WHERE tenant_id = ? AND action = 'project.created'`).bind(owner.tenant.id).first<{ n: number }>();
    expect(audit?.n).toBe(1);
  });

  it('answers 422 idempotency_mismatch for the same key with another body, and writes nothing', async () => {
    const owner = await signUpOwner();
    const path = `/api/t/${owner.tenant.slug}/projects`;
    const headers = { 'Idempotency-Key': crypto.randomUUID() };
    expect((await call('POST', path, { token: owner.token, body: { name: 'First' }, headers })).status).toBe(201);
    const other = await call('POST', path, { token: owner.token, body: { name: 'Second' }, headers });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_mismatch');
    expect(await countRows('projects', owner.tenant.id)).toBe(1);
  });

  it('answers 409 while the first request with the key is still running', async () => {
    const owner = await signUpOwner();
    const key = crypto.randomUUID();
    // Two requests at once: one claims the key, the other finds it claimed and unanswered.
    const path = `/api/t/${owner.tenant.slug}/invitations`;
    const body = { email: 'same@example.test', role: 'member' };
    const [a, b] = await Promise.all([
      call('POST', path, { token: owner.token, body, headers: { 'Idempotency-Key': key } }),
      call('POST', path, { token: owner.token, body, headers: { 'Idempotency-Key': key } }),
    ]);
    const statuses = [a.status, b.status].sort();
    // Either the second arrived while the first ran (409), or after it answered (a replay).
    expect([[201, 409], [201, 201]]).toContainEqual(statuses);
    expect(await countRows('invitations', owner.tenant.id)).toBe(1);
  });

  it('scopes keys to the caller: another member using the same key creates their own', async () => {
    const owner = await signUpOwner();
    const other = await signUpOwner();
    const key = crypto.randomUUID();
    const mine = await call('POST', '/api/tenants', { token: owner.token, body: { name: 'Mine' }, headers: { 'Idempotency-Key': key } });
    const theirs = await call('POST', '/api/tenants', { token: other.token, body: { name: 'Mine' }, headers: { 'Idempotency-Key': key } });
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.tenant.id).not.toBe(mine.body.tenant.id);
  });

  it('replays an API key creation with its secret, which is stored only encrypted', async () => {
    const owner = await signUpOwner();
    const headers = { 'Idempotency-Key': crypto.randomUUID() };
    const body = { name: 'Deploys', role: 'member' };
    const first = await call('POST', `/api/t/${owner.tenant.slug}/api-keys`, { token: owner.token, body, headers });
    const again = await call('POST', `/api/t/${owner.tenant.slug}/api-keys`, { token: owner.token, body, headers });
    expect(again.body).toEqual(first.body);
    expect(await countRows('api_keys', owner.tenant.id)).toBe(1);
    const stored = await env.DB.prepare('SELECT response FROM idempotency_keys').all<{ response: string }>();
    expect(stored.results.some((r) => r.response.includes(first.body.secret))).toBe(false);
  });

  it('refuses a malformed key before any work', async () => {
    const owner = await signUpOwner();
    const res = await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token, body: { name: 'X' }, headers: { 'Idempotency-Key': 'short' } });
    expect(res.status).toBe(400);
    expect(await countRows('projects', owner.tenant.id)).toBe(0);
  });
});

describe('rate limits', () => {
  it('carry the IETF RateLimit-Policy and RateLimit headers on every tenant API answer', async () => {
    const owner = await signUpOwner();
    const res = await call('GET', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token });
    expect(res.headers.get('RateLimit-Policy')).toBe('"tenant";q=120;w=60');
    expect(res.headers.get('RateLimit')).toMatch(/^"tenant";r=119;t=\d+$/);
    const refused = await call('GET', `/api/t/${owner.tenant.slug}/projects/nope`, { token: owner.token });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('RateLimit')).toMatch(/^"tenant";r=118;t=\d+$/);
  });

  it('answer 429 rate_limited with Retry-After once an API key spends its minute, then recover in the next window', async () => {
    const owner = await signUpOwner();
    const { secret } = await createKey(owner, {});
    const path = `/api/t/${owner.tenant.slug}/projects`;
    // Free plan: 60 requests a minute per key.
    for (let i = 0; i < 60; i += 1) {
      const ok = await call('GET', path, { token: secret });
      expect(ok.status).toBe(200);
    }
    const limited = await call('GET', path, { token: secret });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(limited.headers.get('RateLimit')).toContain('"key";r=0');
    // The owner's session shares the tenant's bucket, not the key's: still allowed.
    expect((await call('GET', path, { token: owner.token })).status).toBe(200);

    // The window ends: move the object's buckets a minute into the past, and let the isolate forget the refusal it remembers.
    const stub = env.TENANT_DO.get(env.TENANT_DO.idFromName(owner.tenant.id));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec('UPDATE rate_buckets SET window_start = window_start - 60000');
    });
    await sleep(REMEMBER_REFUSAL_MS);
    const recovered = await call('GET', path, { token: secret });
    expect(recovered.status).toBe(200);
    expect(recovered.headers.get('RateLimit')).toContain('"key";r=59');
  });
});

describe('rate limits outside tenants', () => {
  it('count a person\'s calls that name no tenant in their own object: RateLimit headers, 429 with Retry-After when spent, then recover', async () => {
    const owner = await signUpOwner();
    const me = await call('GET', '/api/me', { token: owner.token });
    expect(me.status).toBe(200);
    expect(me.headers.get('RateLimit-Policy')).toBe(`"caller";q=${CALLER_RATE_LIMIT};w=60`);
    // Signing up and in made a call or two of this minute already: each call takes one more.
    const remaining = Number(/^"caller";r=(\d+);t=\d+$/.exec(me.headers.get('RateLimit') ?? '')?.[1]);
    expect(remaining).toBeGreaterThan(CALLER_RATE_LIMIT - 5);
    expect((await call('GET', '/api/me', { token: owner.token })).headers.get('RateLimit')).toMatch(new RegExp(`^"caller";r=${remaining - 1};`));

    // Spend the rest of the minute in the object rather than with 300 requests; what the isolate already
    // leased (at most a LEASE_PARTS-th of the limit) is still admitted, then the object refuses.
    const stub = env.CALLER_LIMITER.get(env.CALLER_LIMITER.idFromName(`user:${owner.user.id}`));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec('UPDATE rate_buckets SET count = ?', CALLER_RATE_LIMIT);
    });
    let admitted = 0;
    while ((await call('GET', '/api/me', { token: owner.token })).status === 200) {
      admitted += 1;
      expect(admitted, 'more admitted than one lease holds').toBeLessThan(Math.ceil(CALLER_RATE_LIMIT / LEASE_PARTS));
    }
    const tenantsBefore = await env.DB.prepare('SELECT count(*) AS n FROM memberships WHERE user_id = ?').bind(owner.user.id).first<{ n: number }>();
    const limited = await call('POST', '/api/tenants', { token: owner.token, body: { name: 'One too many' } });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(limited.headers.get('RateLimit')).toMatch(/^"caller";r=0;t=\d+$/);
    const tenantsAfter = await env.DB.prepare('SELECT count(*) AS n FROM memberships WHERE user_id = ?').bind(owner.user.id).first<{ n: number }>();
    expect(tenantsAfter?.n).toBe(tenantsBefore?.n);
    // The tenant's routes are the tenant's count, not the person's.
    expect((await call('GET', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token })).status).toBe(200);

    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec('UPDATE rate_buckets SET window_start = window_start - 60000');
    });
    await sleep(REMEMBER_REFUSAL_MS);
    const recovered = await call('GET', '/api/me', { token: owner.token });
    expect(recovered.status).toBe(200);
    expect(recovered.headers.get('RateLimit')).toMatch(new RegExp(`^"caller";r=${CALLER_RATE_LIMIT - 1};`));
  });

  it('leave anonymous calls to the limiters of their own (sign-in, sign-up) or unlimited (the API reference)', async () => {
    const document = await call('GET', '/api/openapi.json');
    expect(document.status).toBe(200);
    expect(document.headers.get('RateLimit')).toBeNull();
  });

  it('the bench-only switch is ignored outside development and tests: production always counts', async () => {
    const owner = await signUpOwner();
    const request = () => new Request(`${ORIGIN}/api/t/${owner.tenant.slug}/projects`, { headers: { authorization: `Bearer ${owner.token}` } });
    const answer = async (vars: Record<string, string>) => {
      const ctx = createExecutionContext();
      const res = await createApp().fetch(request(), { ...env, ...vars }, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await answer({ ENVIRONMENT: 'production', BENCH_RATE_LIMITS: 'off' })).headers.get('RateLimit')).toMatch(/^"tenant";r=119;/);
    expect((await answer({ ENVIRONMENT: 'test', BENCH_RATE_LIMITS: 'off' })).headers.get('RateLimit')).toBeNull();
    expect((await answer({ ENVIRONMENT: 'test' })).headers.get('RateLimit')).toMatch(/^"tenant";r=118;/);
  });
});

describe('API keys with scopes and expiry', () => {
  it('a read-only key reads, and gets 403 on any write', async () => {
    const owner = await signUpOwner();
    const { secret } = await createKey(owner, { scopes: ['read'] });
    expect((await call('GET', `/api/t/${owner.tenant.slug}/projects`, { token: secret })).status).toBe(200);
    const write = await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: secret, body: { name: 'Nope' } });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('forbidden');
    expect(await countRows('projects', owner.tenant.id)).toBe(0);
  });

  it('a key scoped to projects:write writes projects and nothing else', async () => {
    const owner = await signUpOwner();
    const { secret } = await createKey(owner, { role: 'admin', scopes: ['projects:write'] });
    expect((await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: secret, body: { name: 'Yes' } })).status).toBe(201);
    expect((await call('GET', `/api/t/${owner.tenant.slug}/members`, { token: secret })).status).toBe(403);
  });

  it('refuses scopes above the key role, and unknown scopes, writing nothing', async () => {
    const owner = await signUpOwner();
    for (const scopes of [['billing:manage'], ['projects:fly']]) {
      const res = await call('POST', `/api/t/${owner.tenant.slug}/api-keys`, { token: owner.token, body: { name: 'K', role: 'member', scopes } });
      expect(res.status).toBe(400);
    }
    expect(await countRows('api_keys', owner.tenant.id)).toBe(0);
  });

  it('keys expire after 90 days by default; an expired key is 401', async () => {
    const owner = await signUpOwner();
    const before = Date.now();
    const res = await call('POST', `/api/t/${owner.tenant.slug}/api-keys`, { token: owner.token, body: { name: 'Default', role: 'member' } });
    expect(res.body.apiKey.expiresAt).toBeGreaterThanOrEqual(before + 90 * 86_400_000);
    expect(res.body.apiKey.expiresAt).toBeLessThan(before + 91 * 86_400_000);
    await env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?').bind(Date.now() - 1, res.body.apiKey.id).run();
    const expired = await call('GET', `/api/t/${owner.tenant.slug}/projects`, { token: res.body.secret });
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toMatch(/expired/);
  });

  it('tells the key creator a week before expiry, once', async () => {
    const owner = await signUpOwner();
    const { id } = await createKey(owner, { expiresInDays: 30 });
    const now = Date.now();
    const ctx = serviceContext(env, 'test-expiry-notice');
    expect(await noticeExpiringApiKeys.run(ctx, now)).toEqual({ noticed: 0 });
    await env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?').bind(now + 3 * 86_400_000, id).run();
    await noticeExpiringApiKeys.run(ctx, now);
    await noticeExpiringApiKeys.run(ctx, now);
    const mail = await env.DB.prepare('SELECT "to", subject FROM outbox_emails WHERE tenant_id = ? AND subject LIKE ?').bind(owner.tenant.id, '%expires%').all<{ to: string; subject: string }>();
    expect(mail.results).toEqual([{ to: owner.user.email, subject: expect.stringContaining('"Client"') }]);
  });

  it('the audit log records which key did what', async () => {
    const owner = await signUpOwner();
    const { id, secret } = await createKey(owner, {});
    const created = await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: secret, body: { name: 'By key' } });
    const log = await call('GET', `/api/t/${owner.tenant.slug}/audit-log?action=project.created`, { token: owner.token });
    expect(log.body.entries[0]).toMatchObject({ actor: { type: 'api_key', id }, target: { type: 'project', id: created.body.project.id } });
  });
});

describe('pagination', () => {
  it('every list takes cursor and limit and answers nextCursor, walking all rows once', async () => {
    const owner = await signUpOwner();
    for (const name of ['One', 'Two', 'Three']) await call('POST', `/api/t/${owner.tenant.slug}/projects`, { token: owner.token, body: { name } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const res = await call('GET', `/api/t/${owner.tenant.slug}/projects${query}`, { token: owner.token });
      expect(res.status).toBe(200);
      expect(res.body.projects.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.projects.map((p: { name: string }) => p.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    // Every row exactly once (rows made in the same millisecond are ordered by id).
    expect([...seen].sort()).toEqual(['One', 'Three', 'Two']);
    for (const list of ['members', 'invitations', 'api-keys']) {
      const res = await call('GET', `/api/t/${owner.tenant.slug}/${list}?limit=1`, { token: owner.token });
      expect(res.status, list).toBe(200);
      expect(res.body).toHaveProperty('nextCursor');
    }
    const forged = await call('GET', `/api/t/${owner.tenant.slug}/projects?cursor=bm9wZQ`, { token: owner.token });
    expect(forged.status).toBe(400);
  });
});
