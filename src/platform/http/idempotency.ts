/**
 * `Idempotency-Key` on the POSTs that create something, as Stripe does it:
 * the same key and body within 24 hours answer the first response again
 * without redoing the work; the same key with another body is 422
 * `idempotency_mismatch`; a second request while the first still runs is
 * 409. Keys are scoped to the caller, the tenant and the route.
 *
 * D1 round trips: one to claim the key (an upsert that returns the row,
 * claimed or found), one to store the answer; a replay is the one claim.
 * Why D1 and not the tenant's object: docs/decisions/0021-idempotency-and-rate-limits.md.
 */
import { lte, sql } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { openSealed, randomToken, seal, sha256Hex } from '../crypto';
import { database } from '../db/client';
import { idempotencyKeys } from '../db/schema';
import type { ServiceContext } from '../context';
import type { AppEnv } from '../env';
import { AppError } from '../errors';
import { errorMessage } from '../log/logger';
import { deleteBatch, RETENTION_BATCH } from '../retention/job';
import { withDoc } from './route-doc';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim older than this with no answer is taken to be a request that died, and may be retaken. */
const ABANDONED_AFTER_MS = 60_000;
const KEY_PATTERN = /^[\x21-\x7e]{8,255}$/;

const encoder = new TextEncoder();

/** The AES key that seals a stored answer: only a caller presenting the same Idempotency-Key can open it. */
async function sealingKey(scope: string, key: string): Promise<CryptoKey> {
  const material = await crypto.subtle.digest('SHA-256', encoder.encode(`idempotency-seal\n${scope}\n${key}`));
  return crypto.subtle.importKey('raw', material, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** Who is asking, where: a key means nothing outside its caller, tenant and route. */
function scopeOf(c: Context<AppEnv>): string {
  const principal = c.get('principal');
  const caller = principal?.type === 'api_key' ? `key:${principal.apiKeyId}` : `user:${principal?.userId ?? 'anonymous'}`;
  return [caller, c.req.param('tenant') ?? '-', c.req.method, c.req.routePath].join('\n');
}

interface StoredAnswer {
  status: number;
  body: unknown;
}

/**
 * Route middleware, placed after validation (so a refused request claims
 * nothing). Without the header the request runs as usual.
 */
export function idempotent(): MiddlewareHandler<AppEnv> {
  return withDoc(
    async function idempotencyMiddleware(c, next) {
      const key = c.req.header('Idempotency-Key');
      if (key === undefined) return next();
      if (!KEY_PATTERN.test(key)) throw new AppError('bad_request', 'Idempotency-Key must be 8 to 255 visible ASCII characters');

      const scope = scopeOf(c);
      const id = await sha256Hex(`idempotency-id\n${scope}\n${key}`);
      const requestHash = await sha256Hex(await c.req.text());
      const lockToken = randomToken(16);
      const now = Date.now();
      const db = database(c.env.DB);
      // Claim the key, or find who holds it. An expired row, or a claim whose request died, is taken over.
      const retake = sql`(${idempotencyKeys.expiresAt} <= ${now} OR (${idempotencyKeys.responseStatus} IS NULL AND ${idempotencyKeys.lockedAt} <= ${now - ABANDONED_AFTER_MS}))`;
      const [row] = await db
        .insert(idempotencyKeys)
        .values({ id, requestHash, lockToken, lockedAt: now, expiresAt: now + IDEMPOTENCY_TTL_MS })
        .onConflictDoUpdate({
          target: idempotencyKeys.id,
          set: {
            requestHash: sql`CASE WHEN ${retake} THEN excluded.request_hash ELSE ${idempotencyKeys.requestHash} END`,
            lockToken: sql`CASE WHEN ${retake} THEN excluded.lock_token ELSE ${idempotencyKeys.lockToken} END`,
            lockedAt: sql`CASE WHEN ${retake} THEN excluded.locked_at ELSE ${idempotencyKeys.lockedAt} END`,
            responseStatus: sql`CASE WHEN ${retake} THEN NULL ELSE ${idempotencyKeys.responseStatus} END`,
            response: sql`CASE WHEN ${retake} THEN NULL ELSE ${idempotencyKeys.response} END`,
            expiresAt: sql`CASE WHEN ${retake} THEN excluded.expires_at ELSE ${idempotencyKeys.expiresAt} END`,
          },
        })
        .returning();
      if (!row) throw new AppError('internal', 'Idempotency-Key could not be claimed');

      if (row.lockToken !== lockToken) {
        if (row.requestHash !== requestHash) {
          throw new AppError('idempotency_mismatch', 'This Idempotency-Key was used with a different request body');
        }
        if (row.responseStatus === null || row.response === null) {
          throw new AppError('conflict', 'A request with this Idempotency-Key is still being answered; retry shortly');
        }
        const answer = JSON.parse(await openSealed(await sealingKey(scope, key), row.response)) as StoredAnswer;
        c.header('Idempotent-Replayed', 'true');
        return answer.body === null ? c.body(null, answer.status as 204) : c.json(answer.body, answer.status as 200);
      }

      await next();
      // Answers that say "try again" are not remembered: the key is released for the retry.
      const status = c.res.status;
      if (status >= 500 || status === 429 || status === 409) {
        await db.delete(idempotencyKeys).where(sql`${idempotencyKeys.id} = ${id} AND ${idempotencyKeys.lockToken} = ${lockToken}`);
        return;
      }
      try {
        const text = await c.res.clone().text();
        const answer: StoredAnswer = { status, body: text ? (JSON.parse(text) as unknown) : null };
        const sealed = await seal(await sealingKey(scope, key), JSON.stringify(answer));
        await db
          .update(idempotencyKeys)
          .set({ responseStatus: status, response: sealed })
          .where(sql`${idempotencyKeys.id} = ${id} AND ${idempotencyKeys.lockToken} = ${lockToken}`);
      } catch (err) {
        // The work is done and answered; a retry within a minute gets 409, after that it runs again.
        c.get('log').error('idempotent answer not stored', { error: errorMessage(err) });
      }
    },
    {
      errors: [400, 409, 422],
      requestHeaders: [{ name: 'Idempotency-Key', description: 'Up to 255 visible ASCII characters (a UUID): the same key and body within 24 h answer the first response again, without redoing the work' }],
      responseHeaders: ['Idempotent-Replayed'],
    },
  );
}

/** Statements one sweep runs at most (per cron tick, every 5 minutes), each of the retention job's batch: up to 5.76 million keys a day. */
export const SWEEP_BATCHES = 20;

/**
 * Forgets answers older than 24 hours (a cron job): a bounded batch per
 * statement, batch after batch until none is left or the tick's share is
 * spent; the next tick goes on where this one stopped.
 */
export async function sweepIdempotencyKeys(ctx: ServiceContext, now: number, { batch = RETENTION_BATCH, batches = SWEEP_BATCHES } = {}): Promise<number> {
  let forgotten = 0;
  for (let run = 0; run < batches; run++) {
    const gone = await deleteBatch(ctx.env.DB, idempotencyKeys, lte(idempotencyKeys.expiresAt, now), batch);
    forgotten += gone;
    if (gone < batch) break;
  }
  return forgotten;
}
