/**
 * Fixed one-minute windows counted in a Durable Object's SQLite storage: the
 * tenant's object (tenant and API key buckets) and a caller's object (a
 * person's calls outside any tenant) count the same way. Synchronous from
 * the read to the write, so two requests cannot both take the last one.
 */
import { RATE_WINDOW_MS, type BucketState, type RateDecision } from './policy';

export const RATE_BUCKETS_TABLE = `
  CREATE TABLE IF NOT EXISTS rate_buckets (
    bucket TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL
  );`;

export interface Bucket {
  name: BucketState['name'];
  /** The row in `rate_buckets`. */
  id: string;
  quota: number;
}

/** Counts one request against every bucket, or against none when one is spent (a refused request costs nothing). */
export function countRequest(sql: SqlStorage, buckets: readonly Bucket[], now: number): RateDecision {
  const windowStart = now - (now % RATE_WINDOW_MS);
  const used = buckets.map((bucket) => {
    const row = sql.exec<{ count: number }>('SELECT count FROM rate_buckets WHERE bucket = ? AND window_start = ?', bucket.id, windowStart).toArray()[0];
    return { ...bucket, used: row?.count ?? 0 };
  });
  const allowed = used.every((b) => b.used < b.quota);
  if (allowed) {
    for (const bucket of used) {
      sql.exec(
        `INSERT INTO rate_buckets (bucket, window_start, count) VALUES (?, ?, 1)
         ON CONFLICT (bucket) DO UPDATE SET count = CASE WHEN window_start = excluded.window_start THEN count + 1 ELSE 1 END, window_start = excluded.window_start`,
        bucket.id,
        windowStart,
      );
    }
  }
  return {
    allowed,
    resetMs: windowStart + RATE_WINDOW_MS - now,
    buckets: used.map((b) => ({ name: b.name, quota: b.quota, remaining: Math.max(0, b.quota - b.used - (allowed ? 1 : 0)) })),
  };
}
