import { subscriptions } from '../../platform/db/schema';
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
