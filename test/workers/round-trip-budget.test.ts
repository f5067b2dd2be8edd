/**
 * Walks every route in the app's route table, sends a representative
 * successful request through the app with metered bindings
 * (test/workers/round-trips.ts), and holds it to its budget
 * (test/workers/round-trip-budgets.ts). Then every statement the walk issued
 * goes through EXPLAIN QUERY PLAN: a full scan of a tenant table fails.
 */
import { env } from 'cloudflare:workers';
import { getTableColumns, getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import * as schema from '../../src/platform/db/schema';
import { BUDGETS, NOT_WALKED } from './round-trip-budgets';
import { makeTeam, type Team } from './fixtures';
import { call, ORIGIN, PASSWORD, signUpAndSignIn, signUpOwner, tokenOf, uniqueEmail } from './helpers';
import { measure, type Statement } from './round-trips';
import { fillPath } from './tenant-routes';

/** A route as the budget table names it: hashed asset files are one route. */
function routeKey(method: string, path: string): string {
  return `${method} ${path.startsWith('/assets/') ? '/assets/:file' : path}`;
}

function appRoutes(): { key: string; method: string; path: string }[] {
  const seen = new Map<string, { key: string; method: string; path: string }>();
  for (const r of createApp().routes) {
    if (r.method === 'ALL') continue;
    const key = routeKey(r.method, r.path);
    if (!seen.has(`${r.method} ${r.path}`)) seen.set(`${r.method} ${r.path}`, { key, method: r.method, path: r.path });
  }
  return [...seen.values()];
}

interface Scenario {
  /** The status the representative request answers with. */
  status: number;
  request: Request;
}

/** Bodies of the walked writes: valid, so each request succeeds. */
const BODIES: Record<string, () => unknown> = {
  'POST /api/tenants': () => ({ name: 'Second org' }),
  'PATCH /api/t/:tenant': () => ({ name: 'Renamed tenant' }),
  'POST /api/t/:tenant/projects': () => ({ name: 'New project' }),
  'PATCH /api/t/:tenant/projects/:id': () => ({ name: 'Renamed' }),
  'PATCH /api/t/:tenant/members/:userId': () => ({ role: 'admin' }),
  'POST /api/t/:tenant/invitations': () => ({ email: uniqueEmail('budget'), role: 'member' }),
  'POST /api/t/:tenant/api-keys': () => ({ name: 'Budget key', role: 'member' }),
  'POST /api/t/:tenant/billing/checkout': () => ({ plan: 'pro', seats: 5 }),
  'POST /api/t/:tenant/billing/portal': () => ({}),
  'POST /api/t/:tenant/billing/seats': () => ({ quantity: 5 }),
};

/** Answers that are the representative outcome though not a 2xx (billing: the team fixture's plan was granted without Stripe). */
const EXPECTED_STATUS: Record<string, number> = {
  // A signed-in person's home is their first organisation.
  'GET /': 303,
  'POST /api/t/:tenant/billing/portal': 409,
  'POST /api/t/:tenant/billing/seats': 409,
  'POST /api/auth/verify-email/resend': 202,
  'POST /api/me/mfa/setup': 200,
  // Confirmation pages of changes the fixture cannot make (its plan was granted without Stripe; the target's role) send back.
  'GET /t/:tenant/billing/seats': 303,
};

function apiRequest(method: string, path: string, token: string | undefined, body?: unknown): Request {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return new Request(`${ORIGIN}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

function pageRequest(path: string, token: string | undefined): Request {
  return new Request(`${ORIGIN}${path}`, { headers: token ? { cookie: `sid=${token}` } : {}, redirect: 'manual' });
}

async function pendingInvitation(team: Team): Promise<{ email: string; token: string }> {
  const email = uniqueEmail('invitee');
  const invite = await call('POST', `${team.base}/invitations`, { token: team.owner.token, body: { email, role: 'member' } });
  return { email, token: tokenOf(invite.body.acceptUrl) };
}

/**
 * The team reads are walked against, made once: a team is some twenty
 * requests, and a read changes nothing the next one would see. A write gets
 * a team of its own.
 */
let readTeam: Promise<Team> | undefined;

async function scenario(key: string, method: string, path: string): Promise<Scenario> {
  const team = method === 'GET' ? await (readTeam ??= makeTeam()) : await makeTeam();
  const owner = team.owner;
  const ids = { id: key.includes('/invitations/') ? team.invitationId : key.includes('/api-keys/') ? team.apiKeyId : team.projectId, userId: team.target.user.id };
  const filled = path.includes(':tenant') ? fillPath(path, owner.tenant.slug, ids) : path;
  switch (key) {
    case 'POST /api/auth/signup':
      return { status: 202, request: apiRequest(method, path, undefined, { email: uniqueEmail('budget'), password: PASSWORD, name: 'B', tenantName: 'Budget' }) };
    case 'POST /api/auth/login':
      return { status: 200, request: apiRequest(method, path, undefined, { email: owner.user.email, password: PASSWORD }) };
    case 'POST /api/invitations/:token/accept': {
      const { email, token } = await pendingInvitation(team);
      const invitee = await signUpAndSignIn({ email, name: 'Invitee' }, false);
      return { status: 200, request: apiRequest(method, `/api/invitations/${token}/accept`, invitee.token) };
    }
    case 'POST /api/t/:tenant/billing/checkout': {
      const free = await signUpOwner('Free Co');
      return { status: 200, request: apiRequest(method, fillPath(path, free.tenant.slug, {}), free.token, BODIES[key]?.()) };
    }
    case 'GET /invitations/:token':
      return { status: 200, request: pageRequest(`/invitations/${(await pendingInvitation(team)).token}`, undefined) };
    case 'GET /api/openapi.json':
    case 'GET /api/docs':
      return { status: 200, request: apiRequest(method, path, undefined) };
    case 'GET /signin':
    case 'GET /signup':
      return { status: 200, request: pageRequest(path, undefined) };
    case 'GET /assets/:file':
      return { status: 200, request: pageRequest(path, undefined) };
    case 'GET /t/:tenant/members/:userId/role':
      return { status: 200, request: pageRequest(`${filled}?role=admin`, owner.token) };
  }
  if (path.startsWith('/api/')) {
    const status = EXPECTED_STATUS[key] ?? (method === 'DELETE' || key === 'POST /api/auth/logout' ? 204 : method === 'POST' ? 201 : 200);
    return { status, request: apiRequest(method, filled, owner.token, BODIES[key]?.()) };
  }
  return { status: EXPECTED_STATUS[key] ?? 200, request: pageRequest(filled, owner.token) };
}

const statements: (Statement & { route: string })[] = [];
const measured: string[] = [];

describe('round-trip budget of every route', () => {
  const routes = appRoutes();

  it('has a budget for every route in the route table, and no budget for a route that is gone', () => {
    const keys = new Set(routes.map((r) => r.key));
    expect(routes.filter((r) => !BUDGETS[r.key] && !NOT_WALKED[r.key]).map((r) => r.key)).toEqual([]);
    expect([...Object.keys(BUDGETS), ...Object.keys(NOT_WALKED)].filter((k) => !keys.has(k))).toEqual([]);
  });

  for (const route of routes.filter((r) => !NOT_WALKED[r.key])) {
    it(`${route.key} stays within its budget`, async () => {
      const budget = BUDGETS[route.key];
      const { status, request } = await scenario(route.key, route.method, route.path);
      const cost = await measure(request);
      const body = await cost.response.text();
      expect(cost.status, body.slice(0, 300)).toBe(status);
      statements.push(...cost.statements.map((statement) => ({ ...statement, route: route.key })));
      measured.push(`${route.key}: d1=${cost.d1} do=${cost.durableObject}\n  ${cost.statements.map((s) => s.sql.slice(0, 160)).join('\n  ')}`);
      const sql = cost.statements.map((s) => s.sql).join('\n');
      expect(cost.d1, `${route.key}: ${cost.d1} D1 round trips, budget ${budget?.d1}\n${sql}`).toBeLessThanOrEqual(budget?.d1 ?? 0);
      expect(cost.durableObject, `${route.key}: ${cost.durableObject} Durable Object calls, budget ${budget?.durableObject ?? 0}`).toBeLessThanOrEqual(budget?.durableObject ?? 0);
    });
  }

  it('resolves an API key and its tenant in one statement too (its last use is noted after the answer)', async () => {
    const team = await makeTeam();
    const key = await call('POST', `${team.base}/api-keys`, { token: team.owner.token, body: { name: 'Budget', role: 'member' } });
    const cost = await measure(apiRequest('GET', `${team.base}/projects`, key.body.secret));
    expect(cost.status).toBe(200);
    const [resolution, ...rest] = cost.statements.map((statement) => statement.sql);
    expect(resolution).toMatch(/from "api_keys" left join "tenants"/);
    // Besides the route's read, only the key's last use, started before the answer and awaited by waitUntil.
    expect(rest).toHaveLength(2);
    expect(rest).toContainEqual(expect.stringMatching(/from "projects"/));
    expect(rest).toContainEqual(expect.stringMatching(/^update "api_keys" set "last_used_at"/));
  });

  it('prints what it measured', () => {
    console.log(measured.join('\n'));
    expect(measured.length).toBeGreaterThan(0);
  });
});

/** Tables whose rows belong to a tenant: the ones that grow with the number of tenants. */
const TENANT_TABLES = new Set(
  Object.values(schema as Record<string, unknown>)
    .filter((value): value is SQLiteTable => is(value, SQLiteTable) && 'tenantId' in getTableColumns(value))
    .map((table) => getTableName(table)),
);

/**
 * The tenant table a plan row reads in full: `SCAN <table>` (with or without
 * an index, a walk of all of it), or a search through an AUTOMATIC index
 * (one SQLite builds for this statement by reading the whole table).
 */
function fullScanOf(detail: string): string | undefined {
  const table = /^SCAN (\w+)/.exec(detail)?.[1] ?? /^SEARCH (\w+) USING AUTOMATIC/.exec(detail)?.[1];
  return table && TENANT_TABLES.has(table) ? table : undefined;
}

/** Routes whose statements may read every tenant's rows, and why that is fine. */
const PLAN_EXEMPT: Record<string, string> = {
  'GET /dev/mailbox': 'development only (a 404 elsewhere): every email of every tenant, newest first',
};

describe('query plans of every statement the routes issue', () => {
  it('scans no tenant table in full', async () => {
    expect(TENANT_TABLES.has('projects')).toBe(true);
    expect(statements.length, 'run with the budget walk above').toBeGreaterThan(0);
    const unique = new Map(statements.filter((s) => !PLAN_EXEMPT[s.route]).map((s) => [s.sql, s]));
    const scans: string[] = [];
    for (const { sql, params } of unique.values()) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      for (const { detail } of plan.results) {
        const table = fullScanOf(detail);
        if (table) scans.push(`${detail}\n  in: ${sql}`);
      }
    }
    expect(scans, scans.join('\n')).toEqual([]);
  });
});
