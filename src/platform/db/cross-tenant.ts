/**
 * Every read that is not confined to one tenant, in one place, each named
 * for why it may cross. Everything else reaches tenant data through a
 * `TenantContext` (platform/context.ts); feature code may not import the raw
 * handle (eslint.config.js, test/node/imports.test.ts).
 */
import { and, asc, count, desc, eq, gt, inArray, isNotNull, isNull, like, lt, min, or, sql } from 'drizzle-orm';
import type { Membership } from '../auth/principal';
import type { Env } from '../env';
import { database } from './client';
import { compiled } from './compiled';
import type { BatchStatement } from './global-db';
import { apiKeys, auditLog, deletedTenants, invitations, memberships, outboxEmails, securityLog, sessions, stripeEvents, subscriptions, tenants, usageRollups, users, type Plan, type Role } from './schema';

type DbEnv = Pick<Env, 'DB'>;

const tenantColumns = { id: tenants.id, slug: tenants.slug, name: tenants.name };

/**
 * The tenant's columns under names of their own, for statements that may run
 * in a D1 batch: drizzle maps a batch's rows by column name, so a tenant's
 * `id` and `name` beside a user's or a key's would overwrite each other.
 */
const tenantColumnsForBatch = {
  id: sql<string>`${tenants.id}`.as('tenant_id_'),
  slug: tenants.slug,
  name: sql<string>`${tenants.name}`.as('tenant_name_'),
};

/** A tenant by id, before a context for it exists (system work names tenants by id). */
export async function tenantById(env: DbEnv, tenantId: string) {
  const [tenant] = await database(env.DB).select(tenantColumns).from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return tenant;
}

/** The tenants a user belongs to, by name: the organisation switcher and GET /api/me. */
export function membershipsOfUser(env: DbEnv, userId: string) {
  return database(env.DB)
    .select({ ...tenantColumns, role: memberships.role })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(memberships.userId, userId))
    .orderBy(tenants.name);
}

const userWithTenantsColumns = {
  user: { id: users.id, email: users.email, name: users.name, emailVerifiedAt: users.emailVerifiedAt, mfaSecret: users.mfaSecret },
  tenant: tenantColumnsForBatch,
  role: memberships.role,
};
const userWithTenantsOnce = compiled((db) =>
  db
    .select(userWithTenantsColumns)
    .from(users)
    .leftJoin(memberships, eq(memberships.userId, users.id))
    .leftJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(eq(users.id, sql.placeholder('userId')))
    .orderBy(tenants.name)
    .prepare(),
);

/**
 * A person and the tenants they belong to, in one statement (one row per
 * membership, or one row with no tenant): GET /api/me and the pages' chrome,
 * so built once per isolate (compiled.ts).
 */
export function userWithTenants(env: DbEnv, userId: string) {
  return userWithTenantsOnce(env.DB, { userId });
}

/** An invitation by its token's hash: the link is all its holder has, so the tenant is learnt from it. */
export async function invitationByTokenHash(env: DbEnv, tokenHash: string) {
  const [found] = await database(env.DB)
    .select({ invitation: invitations, tenant: tenantColumns })
    .from(invitations)
    .innerJoin(tenants, eq(tenants.id, invitations.tenantId))
    .where(eq(invitations.tokenHash, tokenHash))
    .limit(1);
  return found;
}

/**
 * Runs who-and-where's statement alone, or in one batch with the route's
 * read (`companion`, platform/auth/with-resolution.ts): one round trip
 * either way. `companion` is in the answer only when it ran.
 */
async function withCompanion<R>(env: DbEnv, query: BatchStatement & PromiseLike<R>, companion: BatchStatement | undefined): Promise<{ rows: R; companion?: { companion: unknown } }> {
  if (!companion) return { rows: await query };
  const [rows, read] = await database(env.DB).batch([query, companion]);
  // A batch answers each statement as that statement alone would.
  return { rows: rows as R, companion: { companion: read } };
}

/** `membership` from a left join: the tenant of the path's slug, and the role if the caller holds one there. */
function membershipOf(tenant: Membership['tenant'] | null, role: Role | null, requireMfa: boolean | null): Membership | null {
  return tenant && role ? { tenant, role, requireMfa: requireMfa ?? false } : null;
}

// Who and where runs on every authenticated request: its four shapes are built once per isolate (compiled.ts).
const keyColumns = { id: apiKeys.id, tenantId: apiKeys.tenantId, role: apiKeys.role, createdBy: apiKeys.createdBy, scopes: apiKeys.scopes, expiresAt: apiKeys.expiresAt };
const liveKey = and(eq(apiKeys.secretHash, sql.placeholder('secretHash')), isNull(apiKeys.revokedAt));
const apiKeyAlone = compiled((db) => db.select(keyColumns).from(apiKeys).where(liveKey).limit(1).prepare());
const apiKeyInTenant = compiled((db) =>
  db
    .select({ ...keyColumns, tenant: tenantColumnsForBatch, requireMfa: tenants.requireMfa })
    .from(apiKeys)
    .leftJoin(tenants, and(eq(tenants.id, apiKeys.tenantId), eq(tenants.slug, sql.placeholder('tenantSlug'))))
    .where(liveKey)
    .limit(1)
    .prepare(),
);

/**
 * An unrevoked API key by its secret's hash and, when `tenantSlug` is given,
 * its membership: the tenant of that slug if it is the key's own (a key
 * reaches no other), with the key's role. Who and where in one statement.
 */
export async function apiKeyBySecretHash(env: DbEnv, secretHash: string, tenantSlug: string | undefined, companion?: BatchStatement) {
  if (tenantSlug === undefined) {
    const { rows, companion: read } = await withCompanion(env, apiKeyAlone(env.DB, { secretHash }), companion);
    const [row] = rows;
    return { row: row && { ...row, membership: undefined }, companion: read };
  }
  const { rows, companion: read } = await withCompanion(env, apiKeyInTenant(env.DB, { secretHash, tenantSlug }), companion);
  const [row] = rows;
  if (!row) return { row: undefined, companion: read };
  const { tenant, requireMfa, ...found } = row;
  return { row: { ...found, membership: membershipOf(tenant, found.role, requireMfa) }, companion: read };
}

const sessionColumns = { id: users.id, email: users.email, emailVerifiedAt: users.emailVerifiedAt, mfaSecret: users.mfaSecret, lastSeenAt: sessions.lastSeenAt };
const liveSession = and(eq(sessions.id, sql.placeholder('sessionId')), eq(sessions.userId, sql.placeholder('userId')), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql.placeholder('now')));
const sessionAlone = compiled((db) => db.select(sessionColumns).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(liveSession).limit(1).prepare());
const sessionInTenant = compiled((db) =>
  db
    .select({ ...sessionColumns, tenant: tenantColumnsForBatch, requireMfa: tenants.requireMfa, role: memberships.role })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(tenants, eq(tenants.slug, sql.placeholder('tenantSlug')))
    .leftJoin(memberships, and(eq(memberships.tenantId, tenants.id), eq(memberships.userId, users.id)))
    .where(liveSession)
    .limit(1)
    .prepare(),
);

/**
 * Who is calling (a live session's person, as `sessionAlone`) and the
 * tenants they belong to (as `userWithTenants`), in one statement: one row
 * per membership, or one with no tenant. GET /api/me's read is then the
 * resolution itself, not a second statement batched with it.
 */
const sessionWithTenants = compiled((db) =>
  db
    .select({ ...userWithTenantsColumns, lastSeenAt: sessions.lastSeenAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(memberships, eq(memberships.userId, users.id))
    .leftJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(liveSession)
    .orderBy(tenants.name)
    .prepare(),
);

/** `userWithMembership` outside tenant paths, answering `userWithTenants`'s rows as its companion. */
export async function sessionUserWithTenants(env: DbEnv, session: { sessionId: string; userId: string; now: number }) {
  const rows = await sessionWithTenants(env.DB, session);
  const [first] = rows;
  // The rows are userWithTenants' rows, each with the session's lastSeenAt beside them: the read's answer as they are.
  return { row: first && { ...first.user, lastSeenAt: first.lastSeenAt, membership: undefined }, companion: { companion: rows satisfies Awaited<ReturnType<typeof userWithTenants>> } };
}

/**
 * The person a session token names, if that session is live (not revoked, not
 * expired, and theirs), and, when `tenantSlug` is given, their membership in
 * the tenant of that slug (null unless they hold one): one statement, so the
 * credential and its revocation (401) and the membership (404) cost one round
 * trip and are still answered in the contract's order.
 */
export async function userWithMembership(env: DbEnv, session: { sessionId: string; userId: string; now: number }, tenantSlug: string | undefined, companion?: BatchStatement) {
  if (tenantSlug === undefined) {
    const { rows, companion: read } = await withCompanion(env, sessionAlone(env.DB, session), companion);
    const [row] = rows;
    return { row: row && { ...row, membership: undefined }, companion: read };
  }
  const { rows, companion: read } = await withCompanion(env, sessionInTenant(env.DB, { ...session, tenantSlug }), companion);
  const [row] = rows;
  if (!row) return { row: undefined, companion: read };
  const { tenant, requireMfa, role, ...user } = row;
  return { row: { ...user, membership: membershipOf(tenant, role, requireMfa) }, companion: read };
}

/** Live keys, of every tenant, that expire before `before` and whose owner has not been told yet (the expiry notice job). */
export function apiKeysExpiringBefore(env: DbEnv, now: number, before: number, limit: number) {
  return database(env.DB)
    .select({ id: apiKeys.id, tenantId: apiKeys.tenantId, name: apiKeys.name, prefix: apiKeys.prefix, expiresAt: apiKeys.expiresAt, email: users.email })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.createdBy))
    .where(and(isNull(apiKeys.revokedAt), isNull(apiKeys.expiryNoticeAt), gt(apiKeys.expiresAt, now), lt(apiKeys.expiresAt, before)))
    .orderBy(asc(apiKeys.expiresAt))
    .limit(limit);
}

/** Records a key's use, at most once per `resolutionMs`: most requests read, none need write. */
export async function noteApiKeyUse(env: DbEnv, keyId: string, now: number, resolutionMs: number): Promise<void> {
  await database(env.DB)
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`${now - resolutionMs}`))));
}

/** The tenant whose Stripe customer this is: webhooks name a customer, not a tenant. */
export async function tenantOfStripeCustomer(env: DbEnv, customerId: string): Promise<string | undefined> {
  const [row] = await database(env.DB)
    .select({ tenantId: subscriptions.tenantId })
    .from(subscriptions)
    .where(eq(subscriptions.stripeCustomerId, customerId))
    .limit(1);
  return row?.tenantId;
}

/** Whether a tenant existed and was deleted (late Stripe news about it is ignored, its subscription stopped). */
export async function wasDeleted(env: DbEnv, tenantId: string): Promise<boolean> {
  const [row] = await database(env.DB).select({ id: deletedTenants.id }).from(deletedTenants).where(eq(deletedTenants.id, tenantId)).limit(1);
  return row !== undefined;
}

/**
 * The reconciliation job's next batch: every tenant that ever reached
 * Stripe, least recently looked at first (never looked at first of all), so
 * each tick takes the next batch and every tenant comes round.
 */
export function stripeCustomersToReconcile(env: DbEnv, limit: number) {
  return database(env.DB)
    .select({ tenantId: subscriptions.tenantId, customerId: subscriptions.stripeCustomerId })
    .from(subscriptions)
    .where(isNotNull(subscriptions.stripeCustomerId))
    .orderBy(asc(subscriptions.reconciledAt), asc(subscriptions.tenantId))
    .limit(limit);
}

export async function markReconciled(env: DbEnv, tenantId: string, at: number): Promise<void> {
  await database(env.DB).update(subscriptions).set({ reconciledAt: at }).where(eq(subscriptions.tenantId, tenantId));
}

/**
 * What the tenant's seat object recomputes itself from, in one batch:
 * members, pending unexpired invitations, and the subscription. The object
 * knows its tenant by id only, so it reads by id rather than through a context.
 */
export async function seatLedger(env: DbEnv, tenantId: string, now: number) {
  const db = database(env.DB);
  const [members, pending, subscription] = await db.batch([
    db.select({ userId: memberships.userId }).from(memberships).where(eq(memberships.tenantId, tenantId)),
    db
      .select({ id: invitations.id, expiresAt: invitations.expiresAt })
      .from(invitations)
      .where(and(eq(invitations.tenantId, tenantId), eq(invitations.status, 'pending'), gt(invitations.expiresAt, now))),
    db
      .select({
        plan: subscriptions.plan,
        status: subscriptions.status,
        seatQuantity: subscriptions.seatQuantity,
        seatLimitOverride: subscriptions.seatLimitOverride,
        pastDueSince: subscriptions.pastDueSince,
      })
      .from(subscriptions)
      .where(eq(subscriptions.tenantId, tenantId))
      .limit(1),
  ]);
  return { members, pending, subscription: subscription[0] };
}

/**
 * An operator's view of one tenant, live or deleted, by id or slug: its
 * row, its subscription, its newest audit entries and the Stripe events
 * that name its customer.
 */
export async function tenantRecordsForOperator(env: DbEnv, tenantRef: string, limit: number) {
  const db = database(env.DB);
  const [tenant] = await db.select().from(tenants).where(or(eq(tenants.id, tenantRef), eq(tenants.slug, tenantRef))).limit(1);
  const [deleted] = tenant ? [] : await db.select().from(deletedTenants).where(or(eq(deletedTenants.id, tenantRef), eq(deletedTenants.slug, tenantRef))).limit(1);
  const tenantId = tenant?.id ?? deleted?.id;
  if (!tenantId) return undefined;

  const [subscription] = await db.select().from(subscriptions).where(eq(subscriptions.tenantId, tenantId)).limit(1);
  const audit = await db.select().from(auditLog).where(eq(auditLog.tenantId, tenantId)).orderBy(desc(auditLog.id)).limit(limit);
  // Events name a customer, not a tenant; an operator's occasional scan of the payloads is fine.
  const customerId = subscription?.stripeCustomerId;
  const events = customerId
    ? await db
        .select()
        .from(stripeEvents)
        .where(like(stripeEvents.payload, `%"${customerId}"%`))
        .orderBy(desc(stripeEvents.receivedAt))
        .limit(limit)
    : [];
  // The members' own security logs (sign-ins, password and 2FA changes): "was someone's account taken over?"
  const security = tenant
    ? await db
        .select({ userId: securityLog.userId, event: securityLog.event, ip: securityLog.ip, requestId: securityLog.requestId, at: securityLog.at })
        .from(securityLog)
        .innerJoin(memberships, and(eq(memberships.userId, securityLog.userId), eq(memberships.tenantId, tenant.id)))
        .orderBy(desc(securityLog.id))
        .limit(limit)
    : [];
  return { tenant, deleted, subscription, audit, events, security };
}

/**
 * An operator's search: tenants by exact id, slug, member email or Stripe
 * customer id, or by the start of their slug or name, with their plan.
 */
export function searchTenantsForOperator(env: DbEnv, q: string, limit: number) {
  const db = database(env.DB);
  const byEmail = db.select({ id: memberships.tenantId }).from(memberships).innerJoin(users, eq(users.id, memberships.userId)).where(eq(users.email, q.toLowerCase()));
  const byCustomer = db.select({ id: subscriptions.tenantId }).from(subscriptions).where(eq(subscriptions.stripeCustomerId, q));
  const prefix = `${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  return db
    .select({ ...tenantColumns, plan: sql<string>`coalesce(${subscriptions.plan}, 'free')` })
    .from(tenants)
    .leftJoin(subscriptions, eq(subscriptions.tenantId, tenants.id))
    .where(
      or(
        eq(tenants.id, q),
        sql`${tenants.slug} LIKE ${prefix} ESCAPE '\\'`,
        sql`${tenants.name} LIKE ${prefix} ESCAPE '\\'`,
        inArray(tenants.id, byEmail),
        inArray(tenants.id, byCustomer),
      ),
    )
    .orderBy(tenants.slug)
    .limit(limit);
}

/** The figures behind /ops/health, across every tenant, in one D1 round trip. */
export async function healthFigures(env: DbEnv) {
  const db = database(env.DB);
  const [dead, unprocessed, outbox, reconciliation] = await db.batch([
    db.select({ n: count() }).from(stripeEvents).where(and(isNotNull(stripeEvents.deadAt), isNull(stripeEvents.processedAt))),
    db.select({ oldest: min(stripeEvents.receivedAt) }).from(stripeEvents).where(and(isNull(stripeEvents.deadAt), isNull(stripeEvents.processedAt))),
    db
      .select({ pending: count(), failed: sql<number>`count(${outboxEmails.lastError})` })
      .from(outboxEmails)
      .where(isNull(outboxEmails.sentAt)),
    db.select({ oldest: min(subscriptions.reconciledAt) }).from(subscriptions).where(isNotNull(subscriptions.stripeCustomerId)),
  ]);
  return {
    deadEvents: dead[0]?.n ?? 0,
    oldestUnprocessedEventAt: unprocessed[0]?.oldest ?? null,
    outboxPending: outbox[0]?.pending ?? 0,
    outboxFailed: Number(outbox[0]?.failed ?? 0),
    oldestReconciledAt: reconciliation[0]?.oldest ?? null,
  };
}

/** The tenant whose customer a stored Stripe event names (an operator's replay is recorded in that tenant's audit log). */
export async function tenantOfStripeEvent(env: DbEnv, eventId: string): Promise<string | undefined> {
  const [row] = await database(env.DB)
    .select({ tenantId: subscriptions.tenantId })
    .from(stripeEvents)
    .innerJoin(subscriptions, sql`${stripeEvents.payload} LIKE '%"' || ${subscriptions.stripeCustomerId} || '"%'`)
    .where(eq(stripeEvents.id, eventId))
    .limit(1);
  return row?.tenantId;
}

/** What each plan bills a month, for the revenue beside a tenant's cost (the billing feature's prices, in dollars). */
export interface RevenueRule {
  proPerSeat: number;
  enterprise: number;
  /** Statuses Stripe invoices; any other status earns nothing. */
  billedStatuses: readonly string[];
}

export interface EconomicsPage {
  page: number;
  limit: number;
}

/**
 * The operator's fleet view of unit economics: each tenant's usage rollup
 * (written by its meter, off the request path) with the monthly revenue its
 * subscription bills, most expensive first, a page at a time (one more row
 * than asked, to tell whether another page follows): all tenants with a
 * rollup, and the losses (cost above revenue), in one D1 round trip. Walks
 * usage_rollups_cost_idx, so a page reads about its own rows, not the fleet's.
 */
export async function fleetEconomics(env: DbEnv, rule: RevenueRule, pages: { byCost: EconomicsPage; losses: EconomicsPage }) {
  const db = database(env.DB);
  const { select, revenue } = economicsSelect(db, rule);
  const page = ({ page, limit }: EconomicsPage, lossesOnly: boolean) =>
    select()
      .where(lossesOnly ? sql`${usageRollups.costUsd} > ${revenue}` : undefined)
      .orderBy(desc(usageRollups.costUsd), asc(usageRollups.tenantId))
      .limit(limit + 1)
      .offset((page - 1) * limit);
  const [byCost, losses] = await db.batch([page(pages.byCost, false), page(pages.losses, true)]);
  return { byCost, losses };
}

/** One tenant's row of the same view (the console's tenant page); undefined while its meter has rolled nothing up. */
export async function tenantEconomicsRow(env: DbEnv, rule: RevenueRule, tenantId: string) {
  const [row] = await economicsSelect(database(env.DB), rule).select().where(eq(usageRollups.tenantId, tenantId)).limit(1);
  return row;
}

/**
 * A tenant's rollup joined with its tenant and subscription, and the revenue
 * the subscription bills a month: pro's price × seats, enterprise's price,
 * for the statuses Stripe invoices; else 0.
 */
function economicsSelect(db: ReturnType<typeof database>, rule: RevenueRule) {
  const revenue = sql<number>`(CASE WHEN ${inArray(subscriptions.status, [...rule.billedStatuses])} THEN CASE ${subscriptions.plan}
    WHEN 'pro' THEN ${rule.proPerSeat} * coalesce(${subscriptions.seatQuantity}, 0) WHEN 'enterprise' THEN ${rule.enterprise} ELSE 0 END ELSE 0 END)`;
  const select = () =>
    db
      .select({
        ...tenantColumns,
        plan: sql<Plan>`coalesce(${subscriptions.plan}, 'free')`,
        status: sql<string>`coalesce(${subscriptions.status}, 'none')`,
        seats: subscriptions.seatQuantity,
        rollup: usageRollups,
        revenueUsd: revenue,
      })
      .from(usageRollups)
      .innerJoin(tenants, eq(tenants.id, usageRollups.tenantId))
      .leftJoin(subscriptions, eq(subscriptions.tenantId, usageRollups.tenantId));
  return { select, revenue };
}
