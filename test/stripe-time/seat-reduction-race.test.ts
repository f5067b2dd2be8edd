/**
 * Issue 17 #3: a seat reduction racing invitations while Stripe is slow.
 * Here because it injects latency into the emulator (its own, in this project).
 */
import { describe, expect, it } from 'vitest';
import { call, signUpOwner, uniqueEmail } from '../workers/helpers';
import { billing, checkoutAndPay, deliver, emulator, eventually } from '../workers/stripe-helpers';

describe('seat reduction against invitations, Stripe slow', () => {
  it('never ends with more seats used than paid for: the lower limit holds from before Stripe is asked', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const { cursor } = await checkoutAndPay(owner, 10);
    await deliver(owner, cursor);
    await eventually(async () => expect((await billing(owner)).seats.limit).toBe(10));

    await emulator('/_emulator/faults', { latencyMs: 400 });
    try {
      const reduction = call('POST', `${base}/billing/seats`, { token: owner.token, body: { quantity: 2 } });
      // The invitations arrive while Stripe is still answering the reduction.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const invites = await Promise.all(
        Array.from({ length: 9 }, () => call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('race'), role: 'member' } })),
      );
      expect((await reduction).status).toBe(202);
      expect(invites.filter((r) => r.status === 201)).toHaveLength(1);
      expect(invites.filter((r) => r.status === 402)).toHaveLength(8);
    } finally {
      await emulator('/_emulator/faults', { latencyMs: 0 });
    }
    expect((await billing(owner)).seats).toEqual({ used: 2, limit: 2 });
  });

  it('restores the limit when Stripe refuses the reduction', async () => {
    const owner = await signUpOwner();
    const base = `/api/t/${owner.tenant.slug}`;
    const { cursor } = await checkoutAndPay(owner, 10);
    await deliver(owner, cursor);
    await eventually(async () => expect((await billing(owner)).seats.limit).toBe(10));

    // Stripe fails every attempt (the SDK retries twice): nothing changed, so the limit is 10 again.
    await emulator('/_emulator/faults', { failNext: 50, status: 500, shouldRetry: true });
    const refused = await call('POST', `${base}/billing/seats`, { token: owner.token, body: { quantity: 2 } });
    await emulator('/_emulator/faults', { failNext: 0 });
    expect(refused.status).toBe(503);
    expect((await billing(owner)).seats).toEqual({ used: 1, limit: 10 });
  });
});
