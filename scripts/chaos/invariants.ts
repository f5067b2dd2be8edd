/**
 * The invariants the chaos run checks after every experiment, as pure
 * functions of what was observed (observe.ts) and what the workload saw, so
 * test/node/chaos.test.ts can show each one failing on a broken state.
 */
import type Stripe from 'stripe';
import { d1SeatHolders, liveHolders, type AuditRow, type Snapshot } from './observe.ts';

/** The object keeps a holder D1 lacks this long before reconciliation removes it (decision 0001, TenantDO). */
export const SEAT_GRACE_MS = 60_000;
/** Stripe statuses that still bill the customer. */
const ENDED = new Set(['canceled', 'incomplete_expired']);
/** What the app maps each seeded price to. */
const PLAN_OF_PRICE: Record<string, string> = { price_pro_monthly: 'pro', price_enterprise_monthly: 'enterprise' };
/** Statuses that grant the paid plan (the app's status policy; past_due within its grace). */
const GRANTS_ACCESS = new Set(['active', 'trialing', 'past_due']);

export const INVARIANTS = {
  crossTenant: 'no cross-tenant read',
  events: 'no verified Stripe event lost',
  seats: 'seats used never above the limit',
  counts: "object counts converge to D1's truth",
  subscriptions: 'no tenant with two live subscriptions',
  audit: 'every change has its audit row',
  billing: "billing state converges to the emulator's",
} as const;
export type InvariantName = keyof typeof INVARIANTS;

export interface InvariantResult {
  name: InvariantName;
  ok: boolean;
  /** What broke, one line each (empty when ok). */
  violations: string[];
  /** Broken in a way no amount of waiting repairs (a read that happened, a false audit row). */
  permanent: boolean;
}

export interface OverLimitSample {
  at: number;
  tenantId: string;
  used: number;
  limit: number;
}

export interface Observations {
  snapshot: Snapshot;
  /** Answers that showed one tenant another's data (workload probes). */
  crossTenantReads: readonly string[];
  /** Moments the continuous sampler saw D1's seat holders above the object's limit. */
  overLimit: readonly OverLimitSample[];
  /** Objects seen counting fewer holders than D1 before they were reconciled. */
  underCounted: readonly string[];
  /** Audit rows up to this id were checked before (by an earlier experiment); only newer ones are walked for breaks. */
  auditFrom?: number;
  /** Emulator events up to this sequence belong to earlier experiments, unless still stored and unprocessed. */
  eventsFrom?: number;
}

const result = (name: InvariantName, violations: string[], permanent = false): InvariantResult => ({
  name,
  ok: violations.length === 0,
  violations,
  permanent: permanent && violations.length > 0,
});

function crossTenant({ crossTenantReads }: Observations): InvariantResult {
  return result('crossTenant', [...crossTenantReads], true);
}

/** Every event the emulator produced was stored, and is processed, or dead and listed under /ops. */
function events({ snapshot, eventsFrom = 0 }: Observations): InvariantResult {
  const stored = new Map(snapshot.d1.stripeEvents.map((e) => [e.id, e]));
  const visible = new Set(snapshot.deadVisible);
  const violations: string[] = [];
  for (const { id, sequence } of snapshot.emulator.events) {
    const row = stored.get(id);
    if (!row) {
      if (sequence > eventsFrom) violations.push(`${id} never stored`);
    } else if (row.processedAt === null && row.deadAt === null) violations.push(`${id} (${row.type}) stored, not processed (attempts ${row.attempts}, ${row.lastError ?? 'no error'})`);
    else if (row.processedAt === null && !visible.has(id)) violations.push(`${id} dead but not listed under /ops`);
  }
  return result('events', violations);
}

function seats({ snapshot, overLimit }: Observations): InvariantResult {
  const violations = overLimit.map((s) => `${s.tenantId}: ${s.used} seats held, limit ${s.limit} (at ${new Date(s.at).toISOString()})`);
  for (const object of snapshot.objects) {
    const used = d1SeatHolders(snapshot.d1, object.tenantId, snapshot.takenAt).length;
    if (object.seatsLimit !== null && used > object.seatsLimit) violations.push(`${object.tenantId}: ${used} seats in D1, limit ${object.seatsLimit}`);
  }
  return result('seats', violations, overLimit.length > 0);
}

/**
 * The object counts every seat D1 has (never fewer: fewer would let it
 * over-allocate), and a holder D1 lacks only while it is young enough to be
 * a write in flight. Its limits equal D1's subscription's.
 */
function counts({ snapshot, underCounted }: Observations, expectedLimits: ReadonlyMap<string, { seats: number | null; projects: number | null }>): InvariantResult {
  const violations = underCounted.map((u) => `${u} (would over-allocate)`);
  const objects = new Map(snapshot.objects.map((o) => [o.tenantId, o]));
  for (const tenant of snapshot.d1.tenants) {
    const inD1 = d1SeatHolders(snapshot.d1, tenant.id, snapshot.takenAt);
    const object = objects.get(tenant.id);
    // Never reconciled: it reads D1 before it answers anything, so there is nothing to compare yet.
    if (object?.reconciledAt === null) continue;
    if (!object) {
      if (inD1.length > 1) violations.push(`${tenant.slug}: ${inD1.length} seat holders in D1 and no object`);
      continue;
    }
    const live = liveHolders(object, snapshot.takenAt);
    const inObject = new Set(live.map((h) => h.holder));
    const missing = inD1.filter((h) => !inObject.has(h));
    if (missing.length) violations.push(`${tenant.slug}: object lacks ${missing.join(', ')} (would over-allocate)`);
    const wanted = new Set(inD1);
    const stale = live.filter((h) => !wanted.has(h.holder) && h.createdAt <= snapshot.takenAt - SEAT_GRACE_MS);
    if (stale.length) violations.push(`${tenant.slug}: object still holds ${stale.map((h) => h.holder).join(', ')} past the grace window`);
    const limits = expectedLimits.get(tenant.id);
    if (limits && (limits.seats !== object.seatsLimit || limits.projects !== object.projectsLimit)) {
      violations.push(`${tenant.slug}: object limits ${object.seatsLimit}/${object.projectsLimit}, D1 says ${limits.seats}/${limits.projects}`);
    }
  }
  return result('counts', violations);
}

function subscriptionsPerTenant({ snapshot }: Observations): InvariantResult {
  const tenantOf = new Map(snapshot.emulator.customers.map((c) => [c.id, c.tenantId ?? c.id]));
  const live = new Map<string, string[]>();
  for (const sub of snapshot.emulator.subscriptions) {
    if (ENDED.has(sub.status)) continue;
    const customer = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
    const tenant = tenantOf.get(customer) ?? customer;
    live.set(tenant, [...(live.get(tenant) ?? []), `${sub.id} (${sub.status})`]);
  }
  return result(
    'subscriptions',
    [...live].filter(([, subs]) => subs.length > 1).map(([tenant, subs]) => `${tenant} has ${subs.length} live subscriptions: ${subs.join(', ')}`),
  );
}

interface BillingState {
  plan: string;
  status: string;
  seats: number | null;
}

const sameBilling = (a: BillingState, b: BillingState) => a.plan === b.plan && a.status === b.status && (a.seats ?? null) === (b.seats ?? null);
const show = (b: BillingState | undefined) => (b ? `${b.plan}/${b.status}/${b.seats ?? '-'}` : 'nothing');

function has(audit: readonly AuditRow[], tenantId: string, action: string, targetId: string): boolean {
  return audit.some((a) => a.tenantId === tenantId && a.action === action && a.targetId === targetId);
}

/** The state each row is in has the audit row that put it there, written in the same batch. */
function audit({ snapshot, auditFrom = 0 }: Observations): InvariantResult {
  const { d1 } = snapshot;
  const violations: string[] = [];
  let falseRows = 0;
  for (const p of d1.projects) if (!has(d1.audit, p.tenantId, 'project.created', p.id)) violations.push(`project ${p.id} has no project.created`);
  for (const m of d1.memberships) {
    const ok = m.role === 'owner' ? d1.audit.some((a) => a.tenantId === m.tenantId && a.action === 'tenant.created' && a.actorId === m.userId) : has(d1.audit, m.tenantId, 'member.added', m.userId);
    if (!ok) violations.push(`membership ${m.userId} in ${m.tenantId} has no audit row`);
  }
  for (const i of d1.invitations) {
    if (!has(d1.audit, i.tenantId, 'invitation.created', i.id)) violations.push(`invitation ${i.id} has no invitation.created`);
    if (i.status === 'accepted' && !has(d1.audit, i.tenantId, 'invitation.accepted', i.id)) violations.push(`invitation ${i.id} accepted without invitation.accepted`);
    if (i.status === 'revoked' && !has(d1.audit, i.tenantId, 'invitation.revoked', i.id)) violations.push(`invitation ${i.id} revoked without invitation.revoked`);
  }
  for (const s of d1.subscriptions) {
    if (s.stripeCustomerId && !has(d1.audit, s.tenantId, 'billing.customer_created', s.stripeCustomerId)) {
      violations.push(`${s.tenantId}: customer ${s.stripeCustomerId} without billing.customer_created`);
    }
    // Walk the tenant's billing trail: each subscription.updated starts where the trail stood
    // (a change recorded twice, or from a stale read, does not), and the trail ends where D1 is.
    let trail: BillingState = { plan: 'free', status: 'none', seats: null };
    for (const a of d1.audit) {
      if (a.tenantId !== s.tenantId) continue;
      if (a.action === 'subscription.updated') {
        const from = a.metadata?.from as BillingState | null | undefined;
        if (from && !sameBilling(from, trail) && a.id > auditFrom && ++falseRows) violations.push(`${s.tenantId}: audit row ${a.id} records ${show(from)} → ${show(a.metadata?.to as BillingState)}, but the trail stood at ${show(trail)}`);
        trail = a.metadata?.to as BillingState;
      } else if (a.action === 'billing.seats_change_requested' && a.metadata?.appliesNow === true) {
        // A seat reduction applies at once, with its own audit row.
        trail = { ...trail, seats: Number(a.metadata.to) };
      }
    }
    const stored: BillingState = { plan: s.plan, status: s.status, seats: s.seatQuantity };
    if (!sameBilling(trail, stored)) violations.push(`${s.tenantId}: D1 has ${show(stored)}, its audit trail ends at ${show(trail)}`);
  }
  return result('audit', violations, falseRows > 0);
}

/** The subscription the app should mirror: a live one first (newest), else the newest (the reconciler's choice). */
function currentSubscription(subs: readonly Stripe.Subscription[]): Stripe.Subscription | undefined {
  const newestFirst = [...subs].sort((a, b) => b.created - a.created);
  return newestFirst.find((s) => GRANTS_ACCESS.has(s.status)) ?? newestFirst[0];
}

function billing({ snapshot }: Observations): InvariantResult {
  const violations: string[] = [];
  for (const row of snapshot.d1.subscriptions) {
    if (!row.stripeCustomerId) continue;
    const subs = snapshot.emulator.subscriptions.filter((s) => (typeof s.customer === 'string' ? s.customer : s.customer.id) === row.stripeCustomerId);
    const current = currentSubscription(subs);
    if (!current) {
      if (row.stripeSubscriptionId !== null) violations.push(`${row.tenantId}: D1 names ${row.stripeSubscriptionId}, Stripe has none`);
      continue;
    }
    const item = current.items.data[0];
    const expected = {
      subscription: current.id,
      status: current.status,
      plan: PLAN_OF_PRICE[item?.price.id ?? ''] ?? 'unknown',
      seats: item?.quantity ?? null,
      periodEnd: item?.current_period_end ? item.current_period_end * 1000 : null,
    };
    const actual = { subscription: row.stripeSubscriptionId, status: row.status, plan: row.plan, seats: row.seatQuantity, periodEnd: row.currentPeriodEnd };
    const differs = (Object.keys(expected) as (keyof typeof expected)[]).filter((key) => expected[key] !== actual[key]);
    if (differs.length) {
      violations.push(`${row.tenantId}: ${differs.map((key) => `${key} ${String(actual[key])} ≠ Stripe's ${String(expected[key])}`).join(', ')}`);
    }
  }
  return result('billing', violations);
}

/** Checks them all. `expectedLimits`: each tenant's limits as the app computes them from D1 (its billing API). */
export function checkInvariants(observations: Observations, expectedLimits: ReadonlyMap<string, { seats: number | null; projects: number | null }> = new Map()): InvariantResult[] {
  return [
    crossTenant(observations),
    events(observations),
    seats(observations),
    counts(observations, expectedLimits),
    subscriptionsPerTenant(observations),
    audit(observations),
    billing(observations),
  ];
}
