import { describe, expect, it } from 'vitest';
import { entitlementFor, FREE_LIMITS, PAST_DUE_GRACE_MS, planLimitError, STATUS_POLICY, statusPolicy } from './plans';

const NOW = Date.UTC(2026, 10, 27);
const pro = (status: string, pastDueSince: number | null = null) =>
  entitlementFor({ plan: 'pro', status, seatQuantity: 12, seatLimitOverride: null, pastDueSince }, NOW);

describe('status policy', () => {
  const expected = {
    none: { effectivePlan: 'free', seats: 3, pastDue: false },
    incomplete: { effectivePlan: 'free', seats: 3, pastDue: false },
    incomplete_expired: { effectivePlan: 'free', seats: 3, pastDue: false },
    trialing: { effectivePlan: 'pro', seats: 12, pastDue: false },
    active: { effectivePlan: 'pro', seats: 12, pastDue: false },
    past_due: { effectivePlan: 'pro', seats: 12, pastDue: true },
    canceled: { effectivePlan: 'free', seats: 3, pastDue: false },
    unpaid: { effectivePlan: 'free', seats: 3, pastDue: false },
    paused: { effectivePlan: 'free', seats: 3, pastDue: false },
  } as const;

  it('covers every status Stripe documents', () => {
    expect(Object.keys(STATUS_POLICY).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [status, want] of Object.entries(expected)) {
    it(`${status} → ${want.effectivePlan}${want.pastDue ? ' with the past-due banner' : ''}`, () => {
      const got = pro(status, status === 'past_due' ? NOW - 1000 : null);
      expect({ effectivePlan: got.effectivePlan, seats: got.limits.seats, pastDue: got.pastDue }).toEqual(want);
    });
  }

  it('past_due keeps the plan only for the grace period', () => {
    expect(pro('past_due', NOW - PAST_DUE_GRACE_MS + 1).effectivePlan).toBe('pro');
    const lapsed = pro('past_due', NOW - PAST_DUE_GRACE_MS);
    expect(lapsed).toMatchObject({ effectivePlan: 'free', limits: FREE_LIMITS, pastDue: true });
  });

  it('treats a status Stripe adds later as free until we decide', () => {
    expect(statusPolicy('some_new_status')).toBe('free');
    expect(pro('some_new_status').effectivePlan).toBe('free');
  });

  it('gives enterprise its seats from metadata and unlimited projects', () => {
    const got = entitlementFor({ plan: 'enterprise', status: 'active', seatQuantity: 1, seatLimitOverride: 250, pastDueSince: null }, NOW);
    expect(got.limits).toEqual({ seats: 250, projects: null });
  });
});

describe('plan limit errors', () => {
  it('name the limit and how to raise it', () => {
    const full = planLimitError('seats', 3);
    expect(full).toMatchObject({ code: 'plan_limit', details: { limit: 'seats', max: 3 } });
    expect(full.message).toMatch(/allows 3 seats.*billing page/);
    expect(planLimitError('projects', 3, 'over').message).toMatch(/read-only/);
  });
});
