/**
 * The isolate's side of the rate limits (src/features/public-api/leases.ts):
 * the counting object is asked once per lease, not once per request, and a
 * refusal is answered from memory for a while. Each test uses lease names of
 * its own: the held leases are the isolate's, shared by every test here.
 */
import { describe, expect, it } from 'vitest';
import { REMEMBER_REFUSAL_MS, takeRequest } from '../../src/features/public-api/leases';
import { RATE_WINDOW_MS } from '../../src/features/public-api/policy';
import type { RateLease } from '../../src/features/public-api/rate-window';

/** A stand-in for the object: grants `share` at a time out of `quota` in the current window, and counts the calls. */
function object(quota: number, share: number) {
  let used = 0;
  const calls: number[] = [];
  const lease = async (now: number): Promise<RateLease> => {
    calls.push(now);
    const granted = Math.min(share, quota - used);
    used += granted;
    return { granted, windowStart: now - (now % RATE_WINDOW_MS), buckets: [{ name: 'tenant', quota, remaining: quota - used }] };
  };
  return { lease, calls };
}

/** These tests must not straddle a window boundary: wait it out when it is under `ms` away. */
async function awayFromWindowEnd(ms: number) {
  const left = RATE_WINDOW_MS - (Date.now() % RATE_WINDOW_MS);
  if (left < ms) await new Promise((resolve) => setTimeout(resolve, left + 10));
}

describe('rate limit leases', () => {
  it('ask the object once per lease, and count down the remaining requests exactly within one isolate', async () => {
    await awayFromWindowEnd(5_000);
    const counter = object(120, 6);
    const remaining: number[] = [];
    for (let i = 0; i < 13; i += 1) {
      const decision = await takeRequest('test:sequential', counter.lease);
      expect(decision.allowed).toBe(true);
      remaining.push(decision.buckets[0]!.remaining);
    }
    expect(counter.calls).toHaveLength(3);
    expect(remaining).toEqual(Array.from({ length: 13 }, (_, i) => 119 - i));
  });

  it('refuse once the object has nothing left, and answer the next refusals from memory until it is worth asking again', async () => {
    await awayFromWindowEnd(5_000);
    const counter = object(4, 3);
    const allowed = [];
    for (let i = 0; i < 6; i += 1) allowed.push((await takeRequest('test:refused', counter.lease)).allowed);
    expect(allowed).toEqual([true, true, true, true, false, false]);
    // Two leases (3, then the last 1), one refusal from the object; the sixth was answered from memory.
    expect(counter.calls).toHaveLength(3);
    const refused = await takeRequest('test:refused', counter.lease);
    expect(refused).toMatchObject({ allowed: false, buckets: [{ remaining: 0 }] });
    expect(refused.resetMs).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, REMEMBER_REFUSAL_MS + 10));
    await takeRequest('test:refused', counter.lease);
    expect(counter.calls).toHaveLength(4);
  });

  it('let concurrent requests each ask, and pool what their leases grant rather than lose it', async () => {
    await awayFromWindowEnd(5_000);
    const counter = object(1000, 10);
    const first = await Promise.all(Array.from({ length: 5 }, () => takeRequest('test:concurrent', counter.lease)));
    expect(first.every((d) => d.allowed)).toBe(true);
    expect(counter.calls).toHaveLength(5);
    // 50 granted, 5 admitted: the next 45 need no call.
    for (let i = 0; i < 45; i += 1) await takeRequest('test:concurrent', counter.lease);
    expect(counter.calls).toHaveLength(5);
    await takeRequest('test:concurrent', counter.lease);
    expect(counter.calls).toHaveLength(6);
  });

  it('keep leases apart by name: a key\'s lease is not the tenant\'s', async () => {
    await awayFromWindowEnd(5_000);
    const tenant = object(120, 6);
    const key = object(60, 3);
    await takeRequest('test:tenant-a/key:', tenant.lease);
    await takeRequest('test:tenant-a/key:k1', key.lease);
    await takeRequest('test:tenant-a/key:', tenant.lease);
    expect([tenant.calls.length, key.calls.length]).toEqual([1, 1]);
  });
});
