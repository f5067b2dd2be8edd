import type { Context } from 'hono';
import { tenantReadWithResolution } from '../../platform/auth/with-resolution';
import { subscriptions } from '../../platform/db/schema';
import type { TenantEnv } from '../../platform/env';
import type { TenantContext } from '../../platform/context';
import { entitlementFor, type Entitlement } from './plans';

export type SubscriptionRow = typeof subscriptions.$inferSelect;

/** Every tenant has a row from creation on; a missing one (never expected) reads as free. */
const NO_SUBSCRIPTION = { plan: 'free', status: 'none', seatQuantity: null, seatLimitOverride: null, pastDueSince: null } as const;

export async function loadSubscription(ctx: TenantContext): Promise<SubscriptionRow | undefined> {
  return ctx.db.first(subscriptions);
}

export function entitlementOf(subscription: SubscriptionRow | undefined, now = Date.now()): Entitlement {
  return entitlementFor(subscription ?? NO_SUBSCRIPTION, now);
}

/** What the tenant may use right now, from its stored subscription. */
export async function currentEntitlement(ctx: TenantContext, now = Date.now()): Promise<Entitlement> {
  return entitlementOf(await loadSubscription(ctx), now);
}

/**
 * The tenant's subscription as a read batched with who and where
 * (platform/auth/with-resolution.ts): a write route that checks the plan
 * declares it with `subscriptionRead.batched()` and saves that round trip.
 */
export const subscriptionRead = tenantReadWithResolution((db) => db.select(subscriptions).limit(1));

/** What the request's tenant may use right now, from the subscription read with who and where. */
export async function entitlementOfRequest(c: Context<TenantEnv>, now = Date.now()): Promise<Entitlement> {
  const [subscription] = await subscriptionRead.result(c);
  return entitlementOf(subscription, now);
}
