/**
 * The isolate's side of the rate limits: it spends a lease from the
 * counting object (rate-window.ts) request by request, and calls the object
 * again only when the lease is spent or its window has ended. So a request
 * within its limits costs a fraction of an object call, not one (decision
 * 0024-request-path-fixed-cost). Refusals are remembered for a second, so a
 * client hammering past its limit does not hammer the tenant's object too.
 */
import { RATE_WINDOW_MS, type RateDecision } from './policy';
import type { RateLease } from './rate-window';

/** How long a refusal is answered from memory before the object is asked again (never past the window's end). */
export const REMEMBER_REFUSAL_MS = 1_000;
/** Above this many held leases, the ones of ended windows are dropped. */
const SWEEP_ABOVE = 1_000;

interface Held {
  windowStart: number;
  /** Requests of the lease not yet admitted. */
  left: number;
  /** Each bucket as the object left it when it granted (or refused) the lease. */
  buckets: RateLease['buckets'];
  /** A refusal: answered from memory until then. */
  refusedUntil: number;
}

const held = new Map<string, Held>();

/** The request's decision from a held lease: the object's remaining count plus what this isolate still holds. */
function decisionOf(lease: Held, allowed: boolean, now: number): RateDecision {
  return {
    allowed,
    resetMs: lease.windowStart + RATE_WINDOW_MS - now,
    buckets: lease.buckets.map((b) => ({ ...b, remaining: b.remaining + lease.left })),
  };
}

/** Admits one request from a held lease of the current window, or refuses it from memory; undefined: ask the object. */
function fromHeld(name: string, now: number): RateDecision | undefined {
  const lease = held.get(name);
  if (!lease || lease.windowStart + RATE_WINDOW_MS <= now) return undefined;
  if (lease.left > 0) {
    lease.left -= 1;
    return decisionOf(lease, true, now);
  }
  return lease.refusedUntil > now ? decisionOf(lease, false, now) : undefined;
}

/**
 * Keeps what the object granted, less the request it was asked for. Leases
 * asked for at once by concurrent requests add up (the object counted each),
 * and the object's latest remaining counts stand.
 */
function hold(name: string, lease: RateLease, now: number): RateDecision {
  if (held.size > SWEEP_ABOVE) {
    for (const [key, value] of held) if (value.windowStart + RATE_WINDOW_MS <= now) held.delete(key);
  }
  const previous = held.get(name);
  const carried = previous?.windowStart === lease.windowStart ? previous.left : 0;
  // This request's own admission comes out of the pool: the new lease, or what a concurrent one left.
  const pool = carried + lease.granted;
  const next: Held = {
    windowStart: lease.windowStart,
    left: Math.max(0, pool - 1),
    buckets: lease.buckets,
    refusedUntil: lease.granted > 0 ? 0 : Math.min(now + REMEMBER_REFUSAL_MS, lease.windowStart + RATE_WINDOW_MS),
  };
  held.set(name, next);
  return decisionOf(next, pool > 0, now);
}

/**
 * Admits or refuses one request under the lease `name` (the buckets it
 * counts against), asking `lease` for a new lease only when none is held
 * for the current window, the held one is spent, or a remembered refusal
 * has run out. Each request asks for itself: the runtime cancels a request
 * that waits on another request's call.
 */
export async function takeRequest(name: string, lease: (now: number) => Promise<RateLease>): Promise<RateDecision> {
  const answered = fromHeld(name, Date.now());
  if (answered) return answered;
  const granted = await lease(Date.now());
  return hold(name, granted, Date.now());
}
