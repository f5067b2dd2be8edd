/**
 * The benchmark's floors (scripts/bench/floor-statements.json) are the D1
 * statements GET /api/me and the members list really issue: the floor
 * Worker runs them alone, so a route's share of its floor is what the app
 * adds to its own D1 work (docs/benchmarks/api.md). When a route's
 * statements change, this fails with the new ones: put them in the file.
 */
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import floors from '../../scripts/bench/floor-statements.json';
import { ORIGIN, signUpOwner } from './helpers';
import { measure, type Statement } from './round-trips';

/** The session id a session token names (its `sid` claim). */
function sessionIdOf(token: string): string {
  const { sid } = decodeJwt(token);
  if (typeof sid !== 'string') throw new Error('the token names no session');
  return sid;
}

/** Each parameter as the floor Worker fills it: `$sessionId`, `$userId`, `$slug` and `$now` by name, anything else as it is. */
function symbolic(statements: Statement[], known: { sessionId: string; userId: string; slug: string }): { sql: string; params: unknown[] }[] {
  return statements.map(({ sql, params }) => ({
    sql,
    params: params.map((value) => {
      if (value === known.sessionId) return '$sessionId';
      if (value === known.userId) return '$userId';
      if (value === known.slug) return '$slug';
      if (typeof value === 'number' && Math.abs(value - Date.now()) < 60_000) return '$now';
      return value;
    }),
  }));
}

describe('the benchmark floors', () => {
  it('are the statements GET /api/me and GET /api/t/:tenant/members issue, in the same round trips', async () => {
    const owner = await signUpOwner('Floor Co');
    const known = { sessionId: sessionIdOf(owner.token), userId: owner.user.id, slug: owner.tenant.slug };
    const headers = { authorization: `Bearer ${owner.token}` };

    const me = await measure(new Request(`${ORIGIN}/api/me`, { headers }));
    expect(me.status).toBe(200);
    expect(me.d1).toBe(1);
    expect(symbolic(me.statements, known)).toEqual(floors.me);

    const members = await measure(new Request(`${ORIGIN}/api/t/${owner.tenant.slug}/members`, { headers }));
    expect(members.status).toBe(200);
    expect(members.d1).toBe(1);
    expect(symbolic(members.statements, known)).toEqual(floors.members);
  });
});
