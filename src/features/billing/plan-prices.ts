/**
 * What the app sells, in the currency's minor unit: the Stripe prices
 * STRIPE_PRICE_PRO and STRIPE_PRICE_ENTERPRISE name (the emulator seeds the
 * same; test/node/cost-model.test.ts compares them). Pure and free of
 * imports, so the cost model in Node reads the same figures.
 */
export const PLAN_PRICES = {
  /** `price_pro_monthly`: per seat per month, the subscription's quantity = seats. */
  pro: { monthlyMinor: 1200, per: 'seat' },
  /** `price_enterprise_monthly`: per month, quantity 1 (the seat count is in its metadata). */
  enterprise: { monthlyMinor: 50_000, per: 'subscription' },
} as const;

/** Subscription statuses Stripe invoices every month: what counts as revenue. */
export const BILLED_STATUSES = ['active', 'past_due'] as const;
