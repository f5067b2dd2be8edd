/**
 * What is kept, for how long, and why: one entry for every table
 * (decision 0022-retention-what-is-kept-how-long). Pure data, without
 * imports, because two readers share it: the Worker's retention job
 * (./job.ts) deletes by it, and the cost model (scripts/cost/model.ts) sizes
 * a tenant's tables by it. test/workers/retention.test.ts fails when a table
 * of the migrated schema is in neither list.
 */

export const DAY_MS = 86_400_000;

export interface Retention {
  /** Days a row is kept once its clock starts. */
  days: number;
  /** What starts the clock. */
  after: string;
  why: string;
}

/** Tables the retention job prunes. */
export const PRUNED = {
  sessions: {
    days: 30,
    after: 'it expires (12 h after sign-in; a revoked one goes with its expiry, at most 12 h after its revocation)',
    why:
      'The account page lists live sessions only; the security log keeps each sign-in (address, browser) for a year. ' +
      'A month of ended sessions (country, last seen) is for the operator answering "was that me?" soon after.',
  },
  user_tokens: {
    days: 7,
    after: 'it expires (a reset link 1 h, a verification link 48 h after it was sent), used or not',
    why: 'Past expiry a token opens nothing; a week lets someone who follows an old link be told it expired, not that it never existed.',
  },
  security_log: {
    days: 365,
    after: 'it is written',
    why:
      'Long enough to investigate an account takeover found months later (breaches are found after about 200 days on average) and to answer ' +
      'a year-long audit period; not longer, because each row holds an IP address and a browser (personal data: kept no longer than its purpose needs).',
  },
  account_emails: {
    days: 30,
    after: 'it is queued',
    why:
      'Delivery is settled within the hour (8 attempts, one per cron tick); support can still confirm "we sent it" for a month. ' +
      'The bodies hold sign-in links and addresses, which should not outlive their use.',
  },
  outbox_emails: {
    days: 30,
    after: 'it is queued',
    why: 'The same as account emails: the console lists failed sends for a month; an invitation link in the body is dead after 7 days anyway.',
  },
  invitations: {
    days: 30,
    after: 'it expires (7 days after it was sent), whether accepted, revoked or ignored',
    why:
      'A pending invitation past expiry shows as expired on the members page for a month, then goes: it holds the address of someone who may never have joined. ' +
      'The audit log keeps who invited whom, and when it was accepted or revoked.',
  },
  stripe_events: {
    days: 90,
    after: 'it is processed (unprocessed and dead events stay until processed or replayed)',
    why:
      'Stripe retries a delivery for 3 days, so the id is needed for deduplication far less long; a quarter of events stays in the operator timeline. ' +
      'Stripe keeps the billing record, and the audit log keeps every subscription change the events caused.',
  },
} as const satisfies Record<string, Retention>;

export type PrunedTable = keyof typeof PRUNED;

/** Tables no job prunes, each with the reason. */
export const KEPT = {
  audit_log:
    "The tenant's own record of who did what (exported with its data, read by operators answering what happened): kept for the tenant's life, " +
    "deleted with it. The largest table that still grows (decision 0011's archive to R2 would bound it).",
  users: 'The account itself, for as long as it exists (the app has no account deletion yet).',
  tenants: 'The organisation itself, until its owner deletes it (every tenant-scoped row goes with it).',
  memberships: 'Current state: a member who leaves is deleted at once.',
  projects: 'Current state: a deleted project is deleted at once.',
  api_keys: 'At most a few a year per tenant; an expired key stays listed so whoever sees an integration fail finds which key expired.',
  subscriptions: 'One row per tenant.',
  usage_rollups: 'One row per tenant, rewritten in place.',
  recovery_codes: 'Ten per user with 2FA, replaced when they are regenerated.',
  deleted_tenants:
    'One row per deleted tenant: the proof of who deleted it and when, after every other row of it is gone, and what tells late Stripe events to be ignored.',
  idempotency_keys: 'Expire after 24 hours and are deleted by their own sweep (the idempotency.sweep job), a bounded batch per statement.',
} as const satisfies Record<string, string>;
