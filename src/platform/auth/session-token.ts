/**
 * Session tokens: short-lived HS256 JWTs signed with jose.
 *
 * - The algorithm is pinned on verification (`alg: none` or RS/HS confusion is refused).
 * - Every token names its key (`kid`, derived from the secret), and verification
 *   accepts the current and the previous secret, so rotating `JWT_SECRET` does
 *   not sign everybody out.
 * - Keys are imported once per isolate and per secret, not per request, and a
 *   token verified once is remembered until it expires (`verified` below).
 */
import { SignJWT, errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { keyIdOf, oncePerSecret } from '../crypto';
import type { Env } from '../env';

export const SESSION_TTL_SECONDS = 12 * 60 * 60;
const ALGORITHM = 'HS256';
const ISSUER = 'saas-slice';
const AUDIENCE = 'saas-slice:session';

interface SigningKey {
  kid: string;
  key: CryptoKey;
}

async function importSigningKey(secret: string): Promise<SigningKey> {
  const raw = new TextEncoder().encode(secret);
  const key = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  return { kid: await keyIdOf(secret), key };
}

const signingKey = oncePerSecret(importSigningKey);

function requireSecret(env: Pick<Env, 'JWT_SECRET'>): string {
  if (!env.JWT_SECRET || env.JWT_SECRET.length < 32) {
    throw new Error('JWT_SECRET must be set to at least 32 characters');
  }
  return env.JWT_SECRET;
}

/** How long the second step of a two-step sign-in may wait for its code. */
export const MFA_TOKEN_TTL_SECONDS = 5 * 60;
/** A session token and an mfaToken are signed with one key but never accepted for each other. */
const MFA_AUDIENCE = 'saas-slice:mfa';

async function signToken(env: Pick<Env, 'JWT_SECRET'>, claims: { userId: string; sessionId?: string; audience: string; ttlSeconds: number }): Promise<string> {
  const { kid, key } = await signingKey(requireSecret(env));
  return new SignJWT(claims.sessionId ? { sid: claims.sessionId } : {})
    .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(claims.audience)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds}s`)
    .setJti(crypto.randomUUID())
    .sign(key);
}

/** A session JWT naming its server-side record (`sid`): the record is what revocation changes. */
export function signSession(env: Pick<Env, 'JWT_SECRET'>, userId: string, sessionId: string): Promise<string> {
  return signToken(env, { userId, sessionId, audience: AUDIENCE, ttlSeconds: SESSION_TTL_SECONDS });
}

/** The first step of a two-step sign-in: proves the password, grants nothing but the second step. */
export function signMfaToken(env: Pick<Env, 'JWT_SECRET'>, userId: string): Promise<string> {
  return signToken(env, { userId, audience: MFA_AUDIENCE, ttlSeconds: MFA_TOKEN_TTL_SECONDS });
}

export type SessionCheck = { ok: true; userId: string; sessionId: string } | { ok: false; reason: string };

export async function verifySession(env: Pick<Env, 'JWT_SECRET' | 'JWT_PREVIOUS_SECRET'>, token: string): Promise<SessionCheck> {
  const check = await verifyToken(env, token, AUDIENCE);
  if (!check.ok) return check;
  return typeof check.sid === 'string' ? { ok: true, userId: check.userId, sessionId: check.sid } : { ok: false, reason: 'no session id' };
}

export async function verifyMfaToken(env: Pick<Env, 'JWT_SECRET' | 'JWT_PREVIOUS_SECRET'>, token: string): Promise<{ ok: true; userId: string } | { ok: false; reason: string }> {
  return verifyToken(env, token, MFA_AUDIENCE);
}

/**
 * Tokens this isolate has verified, by audience and token, until they
 * expire: a caller's next requests skip the signature check and the claims'
 * parsing (decision 0024). Only the signature's verdict is remembered:
 * whether the session is still live is asked of D1 on every request, and a
 * token is accepted from here only while the key that signed it still is.
 */
const verified = new Map<string, { userId: string; sid: unknown; kid: string; expiresAt: number }>();
/** Bounds the memory: past this many, the cache starts again. */
const VERIFIED_MAX = 10_000;

async function verifyToken(
  env: Pick<Env, 'JWT_SECRET' | 'JWT_PREVIOUS_SECRET'>,
  token: string,
  audience: string,
): Promise<{ ok: true; userId: string; sid?: unknown } | { ok: false; reason: string }> {
  const secrets = [requireSecret(env), env.JWT_PREVIOUS_SECRET].filter((s): s is string => !!s);
  const keys = await Promise.all(secrets.map(signingKey));
  const remembered = verified.get(`${audience} ${token}`);
  if (remembered && remembered.expiresAt > Date.now() && keys.some((k) => k.kid === remembered.kid)) {
    return { ok: true, userId: remembered.userId, sid: remembered.sid };
  }
  const keyFor = (header: JWTHeaderParameters): CryptoKey => {
    const match = keys.find((k) => k.kid === header.kid);
    if (!match) throw new joseErrors.JWSSignatureVerificationFailed('unknown key id');
    return match.key;
  };
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keyFor, {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    if (!payload.sub) return { ok: false, reason: 'no subject' };
    if (verified.size >= VERIFIED_MAX) verified.clear();
    // `exp` is required above; `kid` matched one of the keys, or jwtVerify threw.
    verified.set(`${audience} ${token}`, { userId: payload.sub, sid: payload.sid, kid: String(protectedHeader.kid), expiresAt: (payload.exp ?? 0) * 1000 });
    return { ok: true, userId: payload.sub, sid: payload.sid };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : 'invalid token' };
  }
}
