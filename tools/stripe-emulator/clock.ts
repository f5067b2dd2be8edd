/**
 * The emulator's clock: wall time plus an offset the operator moves forward,
 * like a Stripe test clock. Every object timestamp (created, periods, expiry)
 * reads it; webhook signatures do not, because the receiving app checks them
 * against its own wall clock.
 */
export class EmulatorClock {
  offsetSeconds = 0;

  now(): number {
    return Math.floor(Date.now() / 1000) + this.offsetSeconds;
  }

  advance(seconds: number): number {
    this.offsetSeconds += seconds;
    return this.now();
  }

  reset(): void {
    this.offsetSeconds = 0;
  }
}

export type BillingInterval = 'day' | 'week' | 'month' | 'year';

const DAY = 86_400;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/**
 * The boundary `count` intervals after `anchor`. Computed from the anchor
 * rather than chained period to period, as Stripe does: a subscription
 * anchored on the 31st renews on the last day of shorter months and returns
 * to the 31st afterwards.
 */
export function addIntervals(anchor: number, interval: string, count: number): number {
  if (interval === 'day') return anchor + count * DAY;
  if (interval === 'week') return anchor + count * 7 * DAY;
  if (interval !== 'month' && interval !== 'year') throw new Error(`unknown billing interval: ${interval}`);
  const start = new Date(anchor * 1000);
  const months = start.getUTCMonth() + (interval === 'year' ? 12 * count : count);
  const year = start.getUTCFullYear() + Math.floor(months / 12);
  const month = ((months % 12) + 12) % 12;
  const day = Math.min(start.getUTCDate(), daysInMonth(year, month));
  return (
    Date.UTC(year, month, day, start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds()) / 1000
  );
}
