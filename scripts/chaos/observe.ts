/**
 * Reads the system's state from outside, the way an operator with shell
 * access would: the local D1 database and each tenant's Durable Object are
 * SQLite files in the run's persist dir, opened read-only (node:sqlite), and
 * the Stripe emulator answers over HTTP. Nothing here goes through the app.
 */
import { DatabaseSync } from 'node:sqlite';
import type Stripe from 'stripe';
import type { Controls } from './client.ts';
import type { Stack } from './stack.ts';

export interface SeatHolderRow {
  holder: string;
  expiresAt: number | null;
  createdAt: number;
}

export interface ObjectState {
  tenantId: string;
  /** Null until its first reconciliation from D1 succeeded: it answers nothing before that. */
  reconciledAt: number | null;
  seatsLimit: number | null;
  projectsLimit: number | null;
  holders: SeatHolderRow[];
}

export interface SubscriptionRow {
  tenantId: string;
  plan: string;
  status: string;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  seatQuantity: number | null;
  currentPeriodEnd: number | null;
}

export interface AuditRow {
  id: number;
  tenantId: string;
  action: string;
  actorId: string | null;
  targetId: string | null;
  metadata: Record<string, unknown> | null;
}

export interface D1State {
  tenants: { id: string; slug: string }[];
  memberships: { tenantId: string; userId: string; role: string }[];
  invitations: { id: string; tenantId: string; status: string; expiresAt: number }[];
  projects: { id: string; tenantId: string }[];
  subscriptions: SubscriptionRow[];
  audit: AuditRow[];
  stripeEvents: { id: string; type: string; processedAt: number | null; deadAt: number | null; attempts: number; lastError: string | null }[];
}

export interface EmulatorView {
  customers: { id: string; tenantId: string | null }[];
  subscriptions: Stripe.Subscription[];
  /** Every event the emulator produced, with its sequence (its pull cursor). */
  events: { id: string; sequence: number }[];
}

export interface Snapshot {
  takenAt: number;
  d1: D1State;
  objects: ObjectState[];
  emulator: EmulatorView;
  /** `GET /ops/stripe-events?state=dead`: what an operator sees as dead. */
  deadVisible: string[];
}

type Row = Record<string, unknown>;

/** Opens, reads, closes: every read sees what workerd has committed by then. A busy or half-written file is read again. */
function readSqlite<T>(file: string, read: (db: DatabaseSync) => T): T {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(file, { readOnly: true });
      db.exec('PRAGMA busy_timeout = 2000');
      return read(db);
    } catch (err) {
      lastError = err;
    } finally {
      db?.close();
    }
  }
  throw lastError;
}

const all = (db: DatabaseSync, sql: string) => db.prepare(sql).all() as Row[];
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

export function readD1(file: string): D1State {
  return readSqlite(file, (db) => {
    // One read transaction: the tables agree with each other.
    db.exec('BEGIN');
    try {
      return {
        tenants: all(db, 'SELECT id, slug FROM tenants').map((r) => ({ id: String(r.id), slug: String(r.slug) })),
        memberships: all(db, 'SELECT tenant_id, user_id, role FROM memberships').map((r) => ({
          tenantId: String(r.tenant_id),
          userId: String(r.user_id),
          role: String(r.role),
        })),
        invitations: all(db, 'SELECT id, tenant_id, status, expires_at FROM invitations').map((r) => ({
          id: String(r.id),
          tenantId: String(r.tenant_id),
          status: String(r.status),
          expiresAt: Number(r.expires_at),
        })),
        projects: all(db, 'SELECT id, tenant_id FROM projects').map((r) => ({ id: String(r.id), tenantId: String(r.tenant_id) })),
        subscriptions: all(
          db,
          'SELECT tenant_id, plan, status, stripe_customer_id, stripe_subscription_id, seat_quantity, current_period_end FROM subscriptions',
        ).map((r) => ({
          tenantId: String(r.tenant_id),
          plan: String(r.plan),
          status: String(r.status),
          stripeCustomerId: str(r.stripe_customer_id),
          stripeSubscriptionId: str(r.stripe_subscription_id),
          seatQuantity: num(r.seat_quantity),
          currentPeriodEnd: num(r.current_period_end),
        })),
        audit: all(db, 'SELECT id, tenant_id, action, actor_id, target_id, metadata FROM audit_log ORDER BY id').map((r) => ({
          id: Number(r.id),
          tenantId: String(r.tenant_id),
          action: String(r.action),
          actorId: str(r.actor_id),
          targetId: str(r.target_id),
          metadata: r.metadata ? (JSON.parse(String(r.metadata)) as Record<string, unknown>) : null,
        })),
        stripeEvents: all(db, 'SELECT id, type, processed_at, dead_at, attempts, last_error FROM stripe_events').map((r) => ({
          id: String(r.id),
          type: String(r.type),
          processedAt: num(r.processed_at),
          deadAt: num(r.dead_at),
          attempts: Number(r.attempts),
          lastError: str(r.last_error),
        })),
      };
    } finally {
      db.exec('COMMIT');
    }
  });
}

export function readObject(file: string): ObjectState | null {
  return readSqlite(file, (db) => {
    const tables = new Set(all(db, "SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => String(r.name)));
    if (!tables.has('tenant_state') || !tables.has('seat_holders')) return null;
    const state = all(db, 'SELECT tenant_id, seats_limit, projects_limit, reconciled_at FROM tenant_state WHERE id = 1')[0];
    if (!state?.tenant_id) return null;
    return {
      tenantId: String(state.tenant_id),
      reconciledAt: num(state.reconciled_at),
      seatsLimit: num(state.seats_limit),
      projectsLimit: num(state.projects_limit),
      holders: all(db, 'SELECT holder, expires_at, created_at FROM seat_holders').map((r) => ({
        holder: String(r.holder),
        expiresAt: num(r.expires_at),
        createdAt: Number(r.created_at),
      })),
    };
  });
}

export function readObjects(stack: Stack): ObjectState[] {
  return stack.objectFiles().flatMap((file) => readObject(file) ?? []);
}

export async function readEmulator(controls: Controls): Promise<EmulatorView> {
  const [state, events] = await Promise.all([controls.emulatorState(), controls.emulatorEvents(0)]);
  return {
    customers: state.customers.map(({ customer }) => ({ id: customer.id, tenantId: customer.metadata?.tenant_id ?? null })),
    subscriptions: state.subscriptions.map(({ subscription }) => subscription),
    events: events.events.map(({ id, sequence }) => ({ id, sequence })),
  };
}

export async function snapshot(stack: Stack, controls: Controls): Promise<Snapshot> {
  const emulator = await readEmulator(controls);
  const deadVisible = await controls.deadEventIds();
  const d1 = readD1(stack.d1File());
  return { takenAt: Date.now(), d1, objects: readObjects(stack), emulator, deadVisible };
}

/** Members plus pending, unexpired invitations, as D1 has them: the holders the object must count. */
export function d1SeatHolders(d1: D1State, tenantId: string, now: number): string[] {
  return [
    ...d1.memberships.filter((m) => m.tenantId === tenantId).map((m) => `member:${m.userId}`),
    ...d1.invitations.filter((i) => i.tenantId === tenantId && i.status === 'pending' && i.expiresAt > now).map((i) => `invitation:${i.id}`),
  ];
}

export function liveHolders(object: ObjectState, now: number): SeatHolderRow[] {
  return object.holders.filter((h) => h.expiresAt === null || h.expiresAt > now);
}
