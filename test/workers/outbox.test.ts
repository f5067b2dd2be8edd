import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deliverOutbox } from '../../src/platform/email/outbox';
import { devMailboxSender, emailSenderFor, type EmailSender } from '../../src/platform/email/sender';
import { signUpOwner } from './helpers';

interface OutboxRow {
  id: string;
  sent_at: number | null;
  claimed_at: number | null;
  attempts: number;
  last_error: string | null;
}

/** Records every send; a send takes a few milliseconds, as a real one would, so concurrent deliveries overlap. */
function recordingSender(fail: (id: string) => boolean = () => false): EmailSender & { sent: string[] } {
  const sent: string[] = [];
  return {
    name: 'recording',
    sent,
    async send(email) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (fail(email.id)) throw new Error('mail server said no');
      sent.push(email.id);
    },
  };
}

/** `count` pending emails for a new tenant, oldest first. */
async function queueEmails(count: number): Promise<string[]> {
  const { tenant } = await signUpOwner();
  const ids = Array.from({ length: count }, (_, i) => `eml_test_${crypto.randomUUID().slice(0, 8)}_${i}`);
  await env.DB.batch(
    ids.map((id, i) =>
      env.DB.prepare('INSERT INTO outbox_emails (id, tenant_id, "to", subject, text, created_at) VALUES (?, ?, ?, ?, ?, ?)').bind(
        id,
        tenant.id,
        `invitee-${i}@example.test`,
        `Invitation ${i}`,
        'Accept it',
        Date.now() + i,
      ),
    ),
  );
  return ids;
}

async function outboxRows(): Promise<OutboxRow[]> {
  const { results } = await env.DB.prepare('SELECT id, sent_at, claimed_at, attempts, last_error FROM outbox_emails ORDER BY created_at').all<OutboxRow>();
  return results;
}

// deliverOutbox takes every tenant's pending mail: each test starts from an empty outbox.
beforeEach(async () => {
  await env.DB.prepare('DELETE FROM outbox_emails').run();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('emailSenderFor', () => {
  const binding = { send: vi.fn() } as unknown as SendEmail;

  it('uses the send_email binding wherever it is configured with EMAIL_FROM', () => {
    for (const ENVIRONMENT of ['development', 'production']) {
      expect(emailSenderFor({ ENVIRONMENT, EMAIL: binding, EMAIL_FROM: 'no-reply@saas-slice.example' }).name).toBe('cloudflare-send-email');
    }
  });

  it('falls back to the dev mailbox in development and tests only', () => {
    expect(emailSenderFor({ ENVIRONMENT: 'development' })).toBe(devMailboxSender);
    expect(emailSenderFor({ ENVIRONMENT: 'test' })).toBe(devMailboxSender);
  });

  it.each([
    ['production', {}, /the send_email binding EMAIL and the EMAIL_FROM var/],
    ['staging', { EMAIL: binding }, /add the EMAIL_FROM var/],
    ['production', { EMAIL_FROM: 'no-reply@saas-slice.example' }, /add the send_email binding EMAIL \(/],
    ['', {}, /ENVIRONMENT ""/],
  ])('anywhere else (%s) without the binding and EMAIL_FROM, every send fails and says what is missing', async (ENVIRONMENT, config, missing) => {
    const sender = emailSenderFor({ ENVIRONMENT, ...config });
    expect(sender.name).toBe('unconfigured');
    await expect(sender.send({ id: 'eml_1', to: 'a@example.test', subject: 's', text: 't' })).rejects.toThrow(missing);
  });
});

describe('deliverOutbox', () => {
  it('marks mail sent through the dev mailbox in tests', async () => {
    await queueEmails(2);
    expect(await deliverOutbox(env)).toBe(2);
    expect((await outboxRows()).map((row) => [row.sent_at !== null, row.attempts, row.last_error])).toEqual([
      [true, 1, null],
      [true, 1, null],
    ]);
  });

  it('in production without the send_email binding, sends nothing, marks nothing sent, and logs an error per email', async () => {
    const ids = await queueEmails(2);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const production = { ...env, ENVIRONMENT: 'production', EMAIL: undefined, EMAIL_FROM: undefined };

    expect(await deliverOutbox(production)).toBe(0);
    expect(await deliverOutbox(production)).toBe(0);

    for (const row of await outboxRows()) {
      expect(row).toMatchObject({ sent_at: null, attempts: 2, last_error: expect.stringMatching(/^Email is not configured in ENVIRONMENT "production"/) });
    }
    // The organisation's emails (sign-up's account emails fail alike, logged without a tenant).
    const lines = logged.mock.calls.map(([line]) => JSON.parse(String(line))).filter((line) => line.tenantId);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toEqual({
      level: 'error',
      msg: 'email_send_failed',
      emailId: ids[0],
      tenantId: expect.stringMatching(/^ten_/),
      sender: 'unconfigured',
      attempt: 1,
      retried: true,
      error: expect.stringContaining('docs/operations/deploy.md'),
    });
    expect(lines.map((line) => [line.emailId, line.attempt])).toEqual([
      [ids[0], 1],
      [ids[1], 1],
      [ids[0], 2],
      [ids[1], 2],
    ]);
  });

  it('sends each email exactly once when deliveries run at the same time', async () => {
    const ids = await queueEmails(6);
    const sender = recordingSender();

    const counts = await Promise.all([deliverOutbox(env, { sender }), deliverOutbox(env, { sender }), deliverOutbox(env, { sender })]);

    expect([...sender.sent].sort()).toEqual([...ids].sort());
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect((await outboxRows()).every((row) => row.sent_at !== null && row.attempts === 1)).toBe(true);
    expect(await deliverOutbox(env, { sender })).toBe(0);
  });

  it('sends oldest first, at most `limit` a run', async () => {
    const ids = await queueEmails(3);
    const sender = recordingSender();
    expect(await deliverOutbox(env, { limit: 2, sender })).toBe(2);
    expect(sender.sent).toEqual(ids.slice(0, 2));
  });

  it('releases the claim of a failed send and records the error, so the next run retries it', async () => {
    const [failing, fine] = await queueEmails(2);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await deliverOutbox(env, { sender: recordingSender((id) => id === failing) })).toBe(1);
    expect(logged).toHaveBeenCalledTimes(1);
    const [first, second] = await outboxRows();
    expect(first).toMatchObject({ id: failing, sent_at: null, claimed_at: null, attempts: 1, last_error: 'mail server said no' });
    expect(second).toMatchObject({ id: fine, sent_at: expect.any(Number), attempts: 1 });

    const retry = recordingSender();
    expect(await deliverOutbox(env, { sender: retry })).toBe(1);
    expect(retry.sent).toEqual([failing]);
  });

  it('leaves a fresh claim alone, and takes over one older than five minutes (a delivery that died)', async () => {
    const [fresh, stale] = await queueEmails(2);
    const claim = env.DB.prepare('UPDATE outbox_emails SET claimed_at = ? WHERE id = ?');
    await env.DB.batch([claim.bind(Date.now() - 60_000, fresh), claim.bind(Date.now() - 6 * 60_000, stale)]);
    const sender = recordingSender();
    expect(await deliverOutbox(env, { sender })).toBe(1);
    expect(sender.sent).toEqual([stale]);
  });
});
