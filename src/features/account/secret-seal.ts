/**
 * TOTP secrets sealed at rest: `users.mfa_secret` and `mfa_pending_secret`
 * hold `v1.<kid>.<AES-GCM>` under a key derived from the `MFA_SEALING_KEY`
 * Worker secret, never the seed itself, so a D1 export or a SQL console
 * cannot mint codes. The sealed value is bound to its user, so one copied
 * to another row does not open there. Decision:
 * docs/decisions/0025-seal-totp-secrets-at-rest.md.
 *
 * Rotation works like JWT_SECRET's: `kid` names the key that sealed a value;
 * `MFA_SEALING_PREVIOUS_KEY` still opens, never seals. A plain base32 value
 * (stored before sealing existed) still opens; `resealTotpSecrets` (a cron
 * job) seals it, and re-seals values under the previous key, with the current one.
 */
import { and, eq, gte, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../../platform/context';
import { keyIdOf, oncePerSecret, openSealed, seal } from '../../platform/crypto';
import { users } from '../../platform/db/schema';
import type { Env } from '../../platform/env';
import type { ScheduledJob } from '../../platform/feature';

const VERSION = 'v1';
/** A plain secret is base32 (A–Z, 2–7): it never has a dot, a sealed value always does. */
const SEALED = /^v1\.([0-9a-f]{12})\.([\w-]+)$/;
const HKDF_INFO = new TextEncoder().encode('saas-slice totp-secret seal v1');

type SealingEnv = Pick<Env, 'MFA_SEALING_KEY' | 'MFA_SEALING_PREVIOUS_KEY'>;

interface SealingKey {
  kid: string;
  aes: CryptoKey;
}

async function importSealingKey(secret: string): Promise<SealingKey> {
  const raw = new TextEncoder().encode(secret);
  const material = await crypto.subtle.importKey('raw', raw, 'HKDF', false, ['deriveKey']);
  const aes = await crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: HKDF_INFO }, material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  return { kid: await keyIdOf(secret), aes };
}

/** Imported once per isolate and secret, not per request. */
const sealingKey = oncePerSecret(importSealingKey);

function currentSecret(env: SealingEnv): string {
  if (!env.MFA_SEALING_KEY || env.MFA_SEALING_KEY.length < 32) throw new Error('MFA_SEALING_KEY must be set to at least 32 characters');
  return env.MFA_SEALING_KEY;
}

const boundTo = (userId: string) => `totp-secret\n${userId}`;

/** Seals a TOTP secret for storage in `userId`'s row, with the current key. */
export async function sealTotpSecret(env: SealingEnv, userId: string, secret: string): Promise<string> {
  const { kid, aes } = await sealingKey(currentSecret(env));
  return `${VERSION}.${kid}.${await seal(aes, secret, boundTo(userId))}`;
}

export type OpenedSecret = { ok: true; secret: string; current: boolean } | { ok: false; reason: string };

/**
 * The TOTP secret a stored value holds. `current` is false when the value is
 * plain or sealed with the previous key (the re-seal job takes it). A value
 * that does not open (altered, another user's, an unknown key) is not ok:
 * callers refuse, as for a wrong code.
 */
export async function openTotpSecret(env: SealingEnv, userId: string, stored: string): Promise<OpenedSecret> {
  const current = await sealingKey(currentSecret(env));
  const match = SEALED.exec(stored);
  if (!match) return /^[A-Z2-7]+$/.test(stored) ? { ok: true, secret: stored, current: false } : { ok: false, reason: 'neither sealed nor base32' };
  const [, kid, payload = ''] = match;
  const previous = env.MFA_SEALING_PREVIOUS_KEY ? await sealingKey(env.MFA_SEALING_PREVIOUS_KEY) : undefined;
  const key = [current, previous].find((k) => k?.kid === kid);
  if (!key) return { ok: false, reason: `sealed with an unknown key ${kid}` };
  try {
    return { ok: true, secret: await openSealed(key.aes, payload, boundTo(userId)), current: key === current };
  } catch {
    return { ok: false, reason: 'does not open (altered, or another row’s)' };
  }
}

/** Rows per cron tick: after the first deploy or a rotation, the backlog drains over the next ticks. */
export const RESEAL_BATCH = 100;

/**
 * A stored secret the current key did not seal: plain, or another key's.
 * Two ranges around the current prefix (`/` sorts right after `.`), so the
 * partial index on the column (schema.ts) reads only those rows, and none
 * once every value is current.
 */
function notCurrent(column: typeof users.mfaSecret | typeof users.mfaPendingSecret, kid: string): SQL | undefined {
  return or(lt(column, `${VERSION}.${kid}.`), gte(column, `${VERSION}.${kid}/`));
}

/** The same column still holding what the job read: a change made meanwhile is never overwritten. */
function unchanged(column: typeof users.mfaSecret | typeof users.mfaPendingSecret, value: string | null): SQL {
  return value === null ? isNull(column) : eq(column, value);
}

/** The value to store instead: unchanged when current, sealed anew otherwise; undefined when it does not open. */
async function resealed(env: SealingEnv, userId: string, stored: string | null): Promise<string | null | undefined> {
  if (stored === null) return null;
  const opened = await openTotpSecret(env, userId, stored);
  if (!opened.ok) return undefined;
  return opened.current ? stored : sealTotpSecret(env, userId, opened.secret);
}

export interface ResealReport extends Record<string, unknown> {
  resealed: number;
  /** Rows with a value no key opens: left as they are (they refuse every code), and logged. */
  unopenable: number;
}

/**
 * Seals plain secrets and re-seals those of the previous key, a batch per
 * tick, in one D1 batch; once a tick reports nothing to do,
 * `MFA_SEALING_PREVIOUS_KEY` can go (docs/operations/deploy.md).
 */
export const resealTotpSecrets: ScheduledJob<ResealReport> = {
  name: 'account.totp_reseal',
  async run(ctx: ServiceContext) {
    const { kid } = await sealingKey(currentSecret(ctx.env));
    const rows = await ctx.global.select(users, or(notCurrent(users.mfaSecret, kid), notCurrent(users.mfaPendingSecret, kid))).limit(RESEAL_BATCH);
    const unopenable: string[] = [];
    const updates = [];
    for (const row of rows) {
      const [mfaSecret, mfaPendingSecret] = await Promise.all([resealed(ctx.env, row.id, row.mfaSecret), resealed(ctx.env, row.id, row.mfaPendingSecret)]);
      if (mfaSecret === undefined || mfaPendingSecret === undefined) {
        unopenable.push(row.id);
        continue;
      }
      updates.push(
        ctx.global
          .update(users)
          .set({ mfaSecret, mfaPendingSecret })
          .where(and(eq(users.id, row.id), unchanged(users.mfaSecret, row.mfaSecret), unchanged(users.mfaPendingSecret, row.mfaPendingSecret))),
      );
    }
    if (unopenable.length) ctx.log.warn('stored TOTP secrets that no sealing key opens', { userIds: unopenable });
    const [first, ...rest] = updates;
    if (first) await ctx.global.batch([first, ...rest]);
    return { resealed: updates.length, unopenable: unopenable.length };
  },
};
