import type { Env } from '../../platform/env';
import type { TenantContext } from '../../platform/tenancy/context';
import { seatsFor } from './client';
import type { SeatHolder } from './model';

/**
 * Gives a seat back after D1 already dropped its holder. If the object cannot
 * be reached, the change stands and the seat is over-counted until the
 * object's next reconciliation: logged, not failed, because failing would
 * tell the caller "nothing happened" when the removal did happen.
 */
export async function releaseSeatOrDefer(env: Pick<Env, 'TENANT_DO'>, ctx: Pick<TenantContext, 'tenant' | 'requestId'>, holder: SeatHolder): Promise<void> {
  try {
    await seatsFor(env, ctx.tenant.id).releaseSeat(holder);
  } catch (err) {
    console.warn(
      JSON.stringify({
        level: 'warn',
        msg: 'seat release deferred to reconciliation',
        tenantId: ctx.tenant.id,
        requestId: ctx.requestId,
        holder,
        error: err instanceof Error ? err.message : String(err),
      }),
    );
  }
}
