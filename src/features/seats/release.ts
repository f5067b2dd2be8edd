import type { TenantContext } from '../../platform/context';
import { errorMessage } from '../../platform/log/logger';
import { seatsFor } from './client';
import type { SeatHolder } from './model';

/**
 * Gives a seat back after D1 already dropped its holder. If the object cannot
 * be reached, the change stands and the seat is over-counted until the
 * object's next reconciliation: logged, not failed, because failing would
 * tell the caller "nothing happened" when the removal did happen.
 */
export async function releaseSeatOrDefer(ctx: TenantContext, holder: SeatHolder): Promise<void> {
  try {
    await seatsFor(ctx.env, ctx.tenant.id).releaseSeat(holder);
  } catch (err) {
    ctx.log.warn('seat release deferred to reconciliation', { holder, error: errorMessage(err) });
  }
}
