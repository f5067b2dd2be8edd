import type { Env } from '../../platform/env';
import { AppError } from '../../platform/errors';
import type { Limits } from '../billing/plans';
import type { ReconcileResult, ReserveOptions, SeatResult, SeatUsage } from './model';

/** The tenant's seat authority, as services see it: `TenantDO`'s methods bound to one tenant. */
export interface TenantSeats {
  reserveSeat(holder: string, opts?: ReserveOptions): Promise<SeatResult>;
  releaseSeat(holder: string): Promise<SeatUsage>;
  transferSeat(from: string, to: string, opts?: ReserveOptions): Promise<SeatResult>;
  setLimits(limits: Limits): Promise<SeatUsage>;
  lowerSeatLimit(limit: number): Promise<SeatResult>;
  restoreSeatLimit(lowered: number, previous: number | null): Promise<SeatUsage>;
  usage(): Promise<SeatUsage>;
  acquireLease(name: string, ttlMs: number): Promise<string | null>;
  releaseLease(name: string, token: string): Promise<void>;
  reconcile(): Promise<ReconcileResult>;
  destroy(): Promise<void>;
}

/**
 * Reaches the tenant's object: `await seatsFor(env, tenant.id).reserveSeat(invitationSeat(id), { expiresAt })`.
 *
 * A failure to reach the object (network, overload, reset, D1 down during
 * its first reconciliation) becomes `AppError('unavailable')`, a 503: a caller
 * adding a holder must stop and write nothing, a reader may fall back to D1.
 * The object's own refusals of a bad call (TypeError, RangeError) are bugs and
 * pass through unchanged.
 */
export function seatsFor(env: Pick<Env, 'TENANT_DO'>, tenantId: string): TenantSeats {
  const stub = env.TENANT_DO.get(env.TENANT_DO.idFromName(tenantId));
  return {
    reserveSeat: (holder, opts) => reach<SeatResult>(() => stub.reserveSeat(tenantId, holder, opts)),
    releaseSeat: (holder) => reach<SeatUsage>(() => stub.releaseSeat(tenantId, holder)),
    transferSeat: (from, to, opts) => reach<SeatResult>(() => stub.transferSeat(tenantId, from, to, opts)),
    setLimits: (limits) => reach<SeatUsage>(() => stub.setLimits(tenantId, limits)),
    lowerSeatLimit: (limit) => reach<SeatResult>(() => stub.lowerSeatLimit(tenantId, limit)),
    restoreSeatLimit: (lowered, previous) => reach<SeatUsage>(() => stub.restoreSeatLimit(tenantId, lowered, previous)),
    usage: () => reach<SeatUsage>(() => stub.usage(tenantId)),
    acquireLease: (name, ttlMs) => reach<string | null>(() => stub.acquireLease(tenantId, name, ttlMs)),
    releaseLease: (name, token) => reach<void>(() => stub.releaseLease(tenantId, name, token)),
    reconcile: () => reach<ReconcileResult>(() => stub.reconcile(tenantId)),
    destroy: () => reach<void>(() => stub.destroy(tenantId)),
  };
}

async function reach<T>(call: () => PromiseLike<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw err;
    const unavailable = new AppError('unavailable', 'Seat management is temporarily unavailable; nothing was changed. Try again shortly.');
    unavailable.cause = err;
    throw unavailable;
  }
}
