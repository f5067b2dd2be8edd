/**
 * Fixed one-minute windows counted in a Durable Object's SQLite storage: the
 * tenant's object (tenant and API key buckets) and a caller's object (a
 * person's calls outside any tenant) count the same way. Synchronous from
 * the read to the write, so two isolates cannot both take the last one.
 *
 * The object hands out leases, not single requests: a share of the window
 * that an isolate then spends without calling again (leases.ts, decision
 * 0024-request-path-fixed-cost).
 */
import { RATE_WINDOW_MS, type BucketState } from './policy';

export const RATE_BUCKETS_TABLE = `
  CREATE TABLE IF NOT EXISTS rate_buckets (
    bucket TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL
  );`;

/**
 * A lease is this share of the smallest quota it counts against: an
 * isolate calls the object at most this many times a window while
 * admitting, and can strand at most this share of a quota unspent when its
 * traffic moves elsewhere.
 */
export const LEASE_PARTS = 20;


export interface Bucket {
  name: BucketState['name'];
  /** The row in `rate_buckets`. */
  id: string;
  quota: number;
}

/** What the object answers: requests the isolate may admit (0: refused), and every bucket as the lease left it. */
export interface RateLease {
  granted: number;
  windowStart: number;
  buckets: BucketState[];
}

/**
 * Takes a lease against every bucket at once: a `LEASE_PARTS`th of the
 * smallest quota, or what is left of it, never more than any bucket has.
 * When one bucket is spent nothing is taken (a refused request costs nothing).
 */
export function leaseRequests(sql: SqlStorage, buckets: readonly Bucket[], now: number): RateLease {
  const windowStart = now - (now % RATE_WINDOW_MS);
  const used = buckets.map((bucket) => {
    const row = sql.exec<{ count: number }>('SELECT count FROM rate_buckets WHERE bucket = ? AND window_start = ?', bucket.id, windowStart).toArray()[0];
    return { ...bucket, used: row?.count ?? 0 };
  });
  const share = Math.ceil(Math.min(...buckets.map((b) => b.quota)) / LEASE_PARTS);
  const granted = Math.max(0, Math.min(share, ...used.map((b) => b.quota - b.used)));
  if (granted > 0) {
    for (const bucket of used) {
      sql.exec(
        `INSERT INTO rate_buckets (bucket, window_start, count) VALUES (?, ?, ?)
         ON CONFLICT (bucket) DO UPDATE SET count = CASE WHEN window_start = excluded.window_start THEN count + excluded.count ELSE excluded.count END, window_start = excluded.window_start`,
        bucket.id,
        windowStart,
        granted,
      );
    }
  }
  return { granted, windowStart, buckets: used.map((b) => ({ name: b.name, quota: b.quota, remaining: Math.max(0, b.quota - b.used - granted) })) };
}
