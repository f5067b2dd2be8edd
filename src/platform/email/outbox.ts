import { and, asc, eq, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { database } from '../db/client';
import { accountEmails, outboxEmails } from '../db/schema';
import type { ServiceContext, TenantContext } from '../context';
import type { Env } from '../env';
import { newId } from '../ids';
import { createLogger, type Logger } from '../log/logger';
import { countUsage } from '../observe/usage';
import { emailSenderFor, type EmailSender } from './sender';

const MAX_ATTEMPTS = 8;
/** A claim older than this belongs to a delivery that died (a Worker is long gone by then): the row is up for grabs again. */
const CLAIM_EXPIRES_MS = 5 * 60_000;

/** The outbox row for an email, to batch with the change that causes it. */
export function queueEmail(ctx: TenantContext, email: { to: string; subject: string; text: string }) {
  countUsage({ emails: 1 });
  return ctx.db.insert(outboxEmails, { id: newId('eml'), ...email });
}

/** The outbox row for an email about an account (verification, reset, a security notice): no tenant. */
export function queueAccountEmail(ctx: ServiceContext, email: { to: string; subject: string; text: string }) {
  return ctx.global.insert(accountEmails).values({ id: newId('eml'), ...email });
}

type OutboxTable = typeof outboxEmails | typeof accountEmails;

type DeliveryOptions = { limit?: number; sender?: EmailSender; log?: Logger };

/**
 * Sends what the outboxes hold (organisations' and accounts'), oldest first. Returns how many were sent.
 * After a request, `tenantId` confines it to that tenant's rows (an index
 * walk, not a scan of every tenant's mail); the scheduled tick takes all.
 */
export async function deliverOutbox(env: Env, { tenantId, ...options }: DeliveryOptions & { tenantId?: string } = {}): Promise<number> {
  if (tenantId !== undefined) return deliverFrom(env, outboxEmails, eq(outboxEmails.tenantId, tenantId), options);
  const [tenantMail, accountMail] = await Promise.all([deliverFrom(env, outboxEmails, undefined, options), deliverFrom(env, accountEmails, undefined, options)]);
  return tenantMail + accountMail;
}

/** Sends what the accounts' outbox holds: after a request that queued account mail only (no scan of the organisations' outbox). */
export function deliverAccountOutbox(env: Env, options: DeliveryOptions = {}): Promise<number> {
  return deliverFrom(env, accountEmails, undefined, options);
}

/**
 * Sends what one outbox table holds, oldest first. Runs after a request (waitUntil)
 * and on every scheduled tick, so a failed send is retried without anyone
 * watching, and so several deliveries often run at once: each sends only the
 * rows it claimed. A failure stays visible: the row keeps `last_error` and
 * its attempts, and an error line is logged. Returns how many were sent.
 * `scope` narrows the rows it may claim.
 */
async function deliverFrom(
  env: Env,
  outbox: OutboxTable,
  scope: SQL | undefined,
  { limit = 25, sender = emailSenderFor(env), log = createLogger() }: DeliveryOptions,
): Promise<number> {
  // Both tables share these columns; drizzle cannot type a query over a union of tables, so it sees one of them.
  const outboxEmails = outbox as typeof accountEmails;
  const db = database(env.DB);
  const now = Date.now();
  const claimable = db
    .select({ id: outboxEmails.id })
    .from(outboxEmails)
    .where(
      and(
        scope,
        isNull(outboxEmails.sentAt),
        lt(outboxEmails.attempts, MAX_ATTEMPTS),
        or(isNull(outboxEmails.claimedAt), lt(outboxEmails.claimedAt, now - CLAIM_EXPIRES_MS)),
      ),
    )
    .orderBy(asc(outboxEmails.createdAt))
    .limit(limit);
  // One statement: D1 runs it atomically, so two deliveries never claim the same row.
  const claimed = await db.update(outboxEmails).set({ claimedAt: now }).where(inArray(outboxEmails.id, claimable)).returning();
  claimed.sort((a, b) => a.createdAt - b.createdAt);

  let sent = 0;
  for (const email of claimed) {
    try {
      await sender.send(email);
      await db.update(outboxEmails).set({ sentAt: Date.now(), attempts: sql`${outboxEmails.attempts} + 1` }).where(eq(outboxEmails.id, email.id));
      sent++;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      await db
        .update(outboxEmails)
        .set({ claimedAt: null, attempts: sql`${outboxEmails.attempts} + 1`, lastError: error })
        .where(eq(outboxEmails.id, email.id));
      const attempt = email.attempts + 1;
      // An organisation's email names its tenant; an account email has none.
      const owner = 'tenantId' in email && typeof email.tenantId === 'string' ? { tenantId: email.tenantId } : { outbox: 'account' };
      log.error('email_send_failed', { emailId: email.id, ...owner, sender: sender.name, attempt, retried: attempt < MAX_ATTEMPTS, error });
    }
  }
  return sent;
}

/** Every email (organisations' and accounts'), newest first: the dev mailbox (development only). */
export async function listMailbox(env: Env, { to, limit = 100 }: { to?: string; limit?: number } = {}) {
  const db = database(env.DB);
  const [tenantMail, accountMail] = await db.batch([
    db.select().from(outboxEmails).where(to ? eq(outboxEmails.to, to) : undefined).orderBy(sql`${outboxEmails.createdAt} DESC`).limit(limit),
    db.select().from(accountEmails).where(to ? eq(accountEmails.to, to) : undefined).orderBy(sql`${accountEmails.createdAt} DESC`).limit(limit),
  ]);
  return [...tenantMail, ...accountMail].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
}

/** Emails not sent whose last attempt failed, newest first: the operator console's list. */
export async function failedEmails(env: Env, limit = 100) {
  return database(env.DB)
    .select({ id: outboxEmails.id, tenantId: outboxEmails.tenantId, to: outboxEmails.to, subject: outboxEmails.subject, attempts: outboxEmails.attempts, lastError: outboxEmails.lastError, createdAt: outboxEmails.createdAt })
    .from(outboxEmails)
    .where(and(isNull(outboxEmails.sentAt), sql`${outboxEmails.lastError} IS NOT NULL`))
    .orderBy(sql`${outboxEmails.createdAt} DESC`)
    .limit(limit);
}

/**
 * An operator's retry: the email gets a fresh set of attempts and is
 * unclaimed, so the next delivery (run now, in waitUntil, and every cron
 * tick) sends it. Returns its tenant, or undefined when there is no such unsent email.
 */
export async function resetEmailForRetry(env: Env, emailId: string): Promise<string | undefined> {
  const [row] = await database(env.DB)
    .update(outboxEmails)
    .set({ attempts: 0, claimedAt: null })
    .where(and(eq(outboxEmails.id, emailId), isNull(outboxEmails.sentAt)))
    .returning({ tenantId: outboxEmails.tenantId });
  return row?.tenantId;
}
