/**
 * Who the operator is. Deployed, /ops sits behind Cloudflare Access: the
 * Worker verifies the `Cf-Access-Jwt-Assertion` Access adds (signed with
 * the team's keys, for this application's audience) and takes the
 * operator's email from it; the dev token is refused there. Locally and in
 * tests (no ACCESS_* vars) the shared OPS_TOKEN stays: as a bearer token,
 * or the cookie the console's dev sign-in sets. Without either configured,
 * /ops does not exist.
 */
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { secretsEqual } from '../../platform/crypto';
import type { Env } from '../../platform/env';
import { AppError } from '../../platform/errors';
import { actAs } from '../../platform/observe/usage';

export interface Operator {
  /** The Access identity's email; `dev-token` for the shared development token. */
  id: string;
  via: 'access' | 'token';
}

export const OPS_COOKIE = 'ops_token';
export const DEV_OPERATOR = 'dev-token';

const jwksByTeam = new Map<string, JWTVerifyGetKey>();
function teamKeys(team: string): JWTVerifyGetKey {
  let keys = jwksByTeam.get(team);
  if (!keys) {
    keys = createRemoteJWKSet(new URL('/cdn-cgi/access/certs', team));
    jwksByTeam.set(team, keys);
  }
  return keys;
}

const unauthenticated = () => new AppError('unauthenticated', 'Operator sign-in required');

/** Verifies an Access assertion: the team's signature, issuer and this application's audience. Returns the operator. */
export async function verifyAccessAssertion(assertion: string, keys: JWTVerifyGetKey, team: string, audience: string): Promise<Operator> {
  try {
    const { payload } = await jwtVerify(assertion, keys, { issuer: team.replace(/\/$/, ''), audience });
    const who = typeof payload.email === 'string' ? payload.email : payload.sub;
    if (!who) throw new Error('no identity in the assertion');
    return { id: who, via: 'access' };
  } catch {
    throw unauthenticated();
  }
}

/** Whether /ops is configured at all (else it answers 404). */
export function opsEnabled(env: Env): boolean {
  return Boolean((env.ACCESS_TEAM_DOMAIN && env.ACCESS_AUD) || env.OPS_TOKEN);
}

/** The operator making this request, or a 401 (a 404 when /ops is not configured). Marks the unit of work as an operator's. */
export async function identifyOperator<E extends { Bindings: Env }>(c: Context<E>): Promise<Operator> {
  const { ACCESS_TEAM_DOMAIN: team, ACCESS_AUD: audience, OPS_TOKEN: token } = c.env;
  if (!opsEnabled(c.env)) throw new AppError('not_found', 'Route not found');
  actAs('ops');
  if (team && audience) {
    const assertion = c.req.header('Cf-Access-Jwt-Assertion');
    if (!assertion) throw unauthenticated();
    return verifyAccessAssertion(assertion, teamKeys(team), team, audience);
  }
  const presented = /^Bearer\s+(\S+)$/i.exec(c.req.header('Authorization') ?? '')?.[1] ?? getCookie(c, OPS_COOKIE) ?? '';
  if (!(await secretsEqual(presented, token))) throw new AppError('unauthenticated', 'Operator token required');
  return { id: DEV_OPERATOR, via: 'token' };
}
