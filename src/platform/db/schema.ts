/**
 * The D1 schema. Every tenant-scoped table carries `tenant_id NOT NULL
 * REFERENCES tenants ON DELETE CASCADE`, its indexes lead with `tenant_id`,
 * and parents expose `UNIQUE (tenant_id, id)` so that a child's composite
 * foreign key cannot point into another tenant. `test/workers/schema.test.ts` checks
 * these rules against the migrated database, so a new table cannot skip them.
 */
import { sql } from 'drizzle-orm';
import {
  foreignKey,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';

/** Milliseconds since the epoch; SQLite has no timestamp type and D1 returns numbers. */
const timestampMs = (name: string) => integer(name, { mode: 'number' });
const nowMs = sql`(unixepoch('subsec') * 1000)`;

export const ROLES = ['owner', 'admin', 'member'] as const;
export const PLANS = ['free', 'pro', 'enterprise'] as const;
const INVITATION_STATUSES = ['pending', 'accepted', 'revoked', 'expired'] as const;
/** `operator`: support staff acting through /ops (their identity in actor_id). */
const ACTOR_TYPES = ['user', 'api_key', 'system', 'operator'] as const;

// ---------------------------------------------------------------- global

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    /** Stored lower-cased; uniqueness is on the normalised form. */
    email: text('email').notNull().unique(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: timestampMs('created_at').notNull().default(nowMs),
    /** When the address was proven (emailed link, accepted invitation, password reset); null until then. */
    emailVerifiedAt: timestampMs('email_verified_at'),
    /** The confirmed TOTP secret, sealed (features/account/secret-seal.ts; plain base32 in rows not yet resealed); null without 2FA. */
    mfaSecret: text('mfa_secret'),
    /** A secret being enrolled, sealed likewise: it replaces `mfa_secret` only once a code from it is confirmed. */
    mfaPendingSecret: text('mfa_pending_secret'),
    /** The last TOTP time step accepted, so a code is not accepted twice within its window. */
    mfaLastStep: integer('mfa_last_step'),
  },
  (t) => [
    // The re-seal job finds values not sealed with the current key by two range seeks, reading only those rows; partial, so only users with 2FA are in them.
    index('users_mfa_secret_idx').on(t.mfaSecret).where(sql`${t.mfaSecret} IS NOT NULL`),
    index('users_mfa_pending_secret_idx').on(t.mfaPendingSecret).where(sql`${t.mfaPendingSecret} IS NOT NULL`),
  ],
);

export const tenants = sqliteTable('tenants', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: timestampMs('created_at').notNull().default(nowMs),
  /** Set by an owner: members without 2FA must enrol before they see the organisation (API keys unaffected). */
  requireMfa: integer('require_mfa', { mode: 'boolean' }).notNull().default(false),
});

/**
 * A signed-in session: the JWT names it (`sid`), and authentication reads it
 * joined with its user in one statement, so revoking takes effect at once
 * without a second round trip (decision 0017-revocable-sessions).
 */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestampMs('created_at').notNull().default(nowMs),
    /** Updated off the request path, at most every few minutes. */
    lastSeenAt: timestampMs('last_seen_at').notNull().default(nowMs),
    expiresAt: timestampMs('expires_at').notNull(),
    revokedAt: timestampMs('revoked_at'),
    userAgent: text('user_agent'),
    country: text('country'),
  },
  (t) => [
    index('sessions_user_idx').on(t.userId, t.createdAt),
    // Retention (platform/retention): rows go some days after they expire, oldest first.
    index('sessions_expires_idx').on(t.expiresAt),
  ],
);

const USER_TOKEN_PURPOSES = ['verify_email', 'password_reset'] as const;

/** Single-use emailed tokens (stored as SHA-256): verifying an address (also a new one), resetting a password. */
export const userTokens = sqliteTable(
  'user_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: USER_TOKEN_PURPOSES }).notNull(),
    tokenHash: text('token_hash').notNull(),
    /** The address the token proves: the account's, or the new one of an email change. */
    email: text('email').notNull(),
    expiresAt: timestampMs('expires_at').notNull(),
    usedAt: timestampMs('used_at'),
    createdAt: timestampMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('user_tokens_hash_uq').on(t.tokenHash),
    index('user_tokens_user_idx').on(t.userId, t.purpose),
    // Retention (platform/retention).
    index('user_tokens_expires_idx').on(t.expiresAt),
  ],
);

/** Ten single-use 2FA recovery codes per user, stored as SHA-256, shown once. */
export const recoveryCodes = sqliteTable(
  'recovery_codes',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: timestampMs('used_at'),
  },
  (t) => [uniqueIndex('recovery_codes_user_hash_uq').on(t.userId, t.codeHash)],
);

/** What happened to an account: sign-ins, password and 2FA changes, session revocations. Shown to its user and to operators. */
export const securityLog = sqliteTable(
  'security_log',
  {
    /** Monotonic, so it doubles as the pagination cursor. */
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    metadata: text('metadata', { mode: 'json' }).$type<Record<string, unknown>>(),
    requestId: text('request_id'),
    at: timestampMs('at').notNull().default(nowMs),
  },
  (t) => [
    index('security_log_user_idx').on(t.userId, t.id),
    // Retention (platform/retention): rows older than the policy's window go, oldest first.
    index('security_log_at_idx').on(t.at),
  ],
);

/**
 * Emails about an account rather than an organisation (verification, reset,
 * security notices): the same outbox mechanics as `outbox_emails`, without a tenant.
 */
export const accountEmails = sqliteTable(
  'account_emails',
  {
    id: text('id').primaryKey(),
    to: text('to').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    createdAt: timestampMs('created_at').notNull().default(nowMs),
    sentAt: timestampMs('sent_at'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    claimedAt: timestampMs('claimed_at'),
  },
  (t) => [index('account_emails_created_idx').on(t.createdAt)],
);

export const stripeEvents = sqliteTable(
  'stripe_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    payload: text('payload').notNull(),
    receivedAt: timestampMs('received_at').notNull().default(nowMs),
    processedAt: timestampMs('processed_at'),
    /** Set when the dead-letter consumer gives up; cleared by a replay. */
    deadAt: timestampMs('dead_at'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [index('stripe_events_unprocessed_idx').on(t.processedAt, t.receivedAt)],
);

/**
 * What remains of a deleted tenant: who deleted it, when, and in which
 * request. Global, because every row of the tenant itself is gone (its
 * audit log included); it also tells the webhook consumer that late Stripe
 * news about the tenant can be ignored.
 */
export const deletedTenants = sqliteTable('deleted_tenants', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  deletedBy: text('deleted_by').notNull(),
  requestId: text('request_id').notNull(),
  /**
   * The subscriptions canceled on the way out, comma-separated. The column
   * kept the singular name it was created with (renaming one is a contract
   * step, decision 0002); the code uses the plural.
   */
  stripeSubscriptionIds: text('stripe_subscription_id'),
  deletedAt: timestampMs('deleted_at').notNull().default(nowMs),
});

/**
 * The first answer to each Idempotency-Key, for 24 hours. Global because a
 * key may precede any tenant (POST /api/tenants); the row is found by a hash
 * of the caller, the tenant, the route and the key, and the stored answer is
 * encrypted with a key derived from the Idempotency-Key itself, so the table
 * alone reveals no secret it replays (an API key's). Expired rows are swept
 * by a cron job.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    id: text('id').primaryKey(),
    /** SHA-256 of the request's body: the same key with another body is refused. */
    requestHash: text('request_hash').notNull(),
    /** Which request holds the key while it runs. */
    lockToken: text('lock_token').notNull(),
    lockedAt: timestampMs('locked_at').notNull(),
    /** Null while the first request is still running. */
    responseStatus: integer('response_status'),
    /** AES-GCM: base64url of IV ‖ ciphertext of `{status, body}`. */
    response: text('response'),
    expiresAt: timestampMs('expires_at').notNull(),
  },
  (t) => [index('idempotency_keys_expires_idx').on(t.expiresAt)],
);

// ---------------------------------------------------------------- tenant-scoped

const tenantId = () =>
  text('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' });

export const memberships = sqliteTable(
  'memberships',
  {
    tenantId: tenantId(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ROLES }).notNull(),
    createdAt: timestampMs('created_at').notNull().default(nowMs),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.userId] }),
    // Cross-tenant by design: "which tenants is this user in" (GET /api/me).
    index('memberships_user_idx').on(t.userId, t.tenantId),
  ],
);

export const invitations = sqliteTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    email: text('email').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    /** SHA-256 of the token; the token itself exists only in the invitee's link. */
    tokenHash: text('token_hash').notNull(),
    invitedBy: text('invited_by').notNull(),
    status: text('status', { enum: INVITATION_STATUSES }).notNull().default('pending'),
    expiresAt: timestampMs('expires_at').notNull(),
    createdAt: timestampMs('created_at').notNull().default(nowMs),
    acceptedAt: timestampMs('accepted_at'),
  },
  (t) => [
    uniqueIndex('invitations_tenant_id_uq').on(t.tenantId, t.id),
    index('invitations_tenant_status_idx').on(t.tenantId, t.status, t.email),
    // Cross-tenant by design: retention (platform/retention) deletes invitations long expired, across tenants.
    index('invitations_expires_idx').on(t.expiresAt),
    // Cross-tenant by design: accepting looks the invitation up by its token alone.
    uniqueIndex('invitations_token_hash_uq').on(t.tokenHash),
    // One pending invitation per email and tenant, even under concurrent requests.
    uniqueIndex('invitations_tenant_pending_email_uq')
      .on(t.tenantId, t.email)
      .where(sql`status = 'pending'`),
  ],
);

export const subscriptions = sqliteTable(
  'subscriptions',
  {
    tenantId: tenantId().primaryKey(),
    plan: text('plan', { enum: PLANS }).notNull().default('free'),
    /** Stripe's subscription status, or 'none' for a tenant that never paid. */
    status: text('status').notNull().default('none'),
    stripeCustomerId: text('stripe_customer_id'),
    stripeSubscriptionId: text('stripe_subscription_id'),
    seatQuantity: integer('seat_quantity'),
    /** Enterprise seat count, read from the subscription's metadata. */
    seatLimitOverride: integer('seat_limit_override'),
    currentPeriodEnd: timestampMs('current_period_end'),
    /** When the subscription entered past_due; the grace period runs from here. */
    pastDueSince: timestampMs('past_due_since'),
    updatedAt: timestampMs('updated_at').notNull().default(nowMs),
    /**
     * When the Stripe read behind the stored state began. A write whose read
     * began earlier is stale and skipped, so overlapping syncs cannot go back in time.
     */
    stripeReadAt: timestampMs('stripe_read_at'),
    /** The reconciliation job's last look at this tenant, success or not: it works oldest first. */
    reconciledAt: timestampMs('reconciled_at'),
  },
  (t) => [
    // Cross-tenant by design: webhooks name a customer, not a tenant.
    uniqueIndex('subscriptions_customer_uq').on(t.stripeCustomerId),
  ],
);

export const projects = sqliteTable(
  'projects',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    createdAt: timestampMs('created_at').notNull().default(nowMs),
    updatedAt: timestampMs('updated_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('projects_tenant_id_uq').on(t.tenantId, t.id),
    index('projects_tenant_created_idx').on(t.tenantId, t.createdAt),
  ],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    /** The visible start of the secret, e.g. `ssk_ab12cd34`. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole secret. */
    secretHash: text('secret_hash').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestampMs('created_at').notNull().default(nowMs),
    lastUsedAt: timestampMs('last_used_at'),
    revokedAt: timestampMs('revoked_at'),
    /** JSON: `["read"]`, or permission names within its role; null: everything its role allows. */
    scopes: text('scopes', { mode: 'json' }).$type<string[]>(),
    /** Null: never (keys made before expiry existed). */
    expiresAt: timestampMs('expires_at'),
    /** When the "expires in a week" email was queued, so it is sent once. */
    expiryNoticeAt: timestampMs('expiry_notice_at'),
  },
  (t) => [
    uniqueIndex('api_keys_tenant_id_uq').on(t.tenantId, t.id),
    // A key dies with its creator's membership: the composite key also means
    // it can only ever name a member of its own tenant.
    foreignKey({
      columns: [t.tenantId, t.createdBy],
      foreignColumns: [memberships.tenantId, memberships.userId],
    }).onDelete('cascade'),
    // Cross-tenant by design: a request presents only the secret.
    uniqueIndex('api_keys_secret_hash_uq').on(t.secretHash),
  ],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    /** Monotonic, so it doubles as the pagination cursor. */
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: tenantId(),
    actorType: text('actor_type', { enum: ACTOR_TYPES }).notNull(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    metadata: text('metadata', { mode: 'json' }).$type<Record<string, unknown>>(),
    requestId: text('request_id'),
    at: timestampMs('at').notNull().default(nowMs),
  },
  (t) => [index('audit_log_tenant_id_idx').on(t.tenantId, t.id)],
);

/**
 * Emails to send, written in the same batch as the change that causes them
 * (an invitation), then delivered by the configured sender and retried by the
 * scheduled handler. Locally the dev mailbox page shows them instead.
 */
export const outboxEmails = sqliteTable(
  'outbox_emails',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    to: text('to').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    createdAt: timestampMs('created_at').notNull().default(nowMs),
    sentAt: timestampMs('sent_at'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** Set by the sender that took the row, so concurrent deliveries never send it twice. */
    claimedAt: timestampMs('claimed_at'),
  },
  (t) => [
    index('outbox_emails_tenant_created_idx').on(t.tenantId, t.createdAt),
    // Cross-tenant by design: retention (platform/retention) deletes old emails, across tenants.
    index('outbox_emails_created_idx').on(t.createdAt),
  ],
);

/**
 * Each tenant's last 30 days of metered usage and what it costs, written by
 * its UsageMeter object off the request path (platform/observe/meter.ts,
 * decision 0019-console-economics), so the operator console reads one
 * row per tenant instead of asking every tenant's object.
 */
export const usageRollups = sqliteTable(
  'usage_rollups',
  {
    tenantId: text('tenant_id')
      .primaryKey()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    /** First UTC day of the window (YYYY-MM-DD); the window ends on the day of `rolled_up_at`. */
    windowFrom: text('window_from').notNull(),
    rolledUpAt: timestampMs('rolled_up_at').notNull(),
    requests: integer('requests').notNull(),
    d1RowsRead: integer('d1_rows_read').notNull(),
    d1RowsWritten: integer('d1_rows_written').notNull(),
    doCalls: integer('do_calls').notNull(),
    queueMessages: integer('queue_messages').notNull(),
    emails: integer('emails').notNull(),
    /** Marginal dollars at docs/economics/prices.json (platform/economics/pricing.ts), as of `rolled_up_at`. */
    costUsd: real('cost_usd').notNull(),
  },
  // Cross-tenant by design: the console lists tenants by what they cost, across the fleet.
  (t) => [index('usage_rollups_cost_idx').on(t.costUsd)],
);

export type Role = (typeof ROLES)[number];
export type Plan = (typeof PLANS)[number];
export type User = typeof users.$inferSelect;
export type Tenant = typeof tenants.$inferSelect;
export type Project = typeof projects.$inferSelect;
