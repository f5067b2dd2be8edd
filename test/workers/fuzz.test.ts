/**
 * Malformed requests across every route of the app's route table (read from
 * the app, so a new route is fuzzed the day it is added), against the real
 * Worker (workerd, D1, Durable Objects). Fails on any 5xx, and on any write
 * by a refused request: the whole database is compared before and after each
 * batch. `npm test` sends a short run; `npm run fuzz` sends 10,000 or more
 * (FUZZ_REQUESTS), with FUZZ_SEED to replay a run.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { appTables } from './db-snapshot';
import { makeTeam, type Team } from './fixtures';

const REQUESTS = Number(env.FUZZ_REQUESTS || 300);
const SEED = Number(env.FUZZ_SEED || Date.now() % 2 ** 31);
const BATCH = 25;
const ORIGIN = 'http://localhost';

/** Columns a refused request may change: bookkeeping done off the request path (a key's last use). */
const BOOKKEEPING = new Set(['api_keys.last_used_at']);

interface Route {
  method: string;
  path: string;
}

/** Every concrete route the app answers (middleware-only entries and `ALL` fall-backs left out). */
function routeTable(): Route[] {
  const seen = new Map<string, Route>();
  for (const r of createApp().routes) {
    if (r.method === 'ALL' || r.path.endsWith('*')) continue;
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}

/** mulberry32: small, seeded, good enough to pick mutations reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const JUNK_SEGMENTS = ['', '%00', '..%2f..%2fetc', "' OR 1=1--", 'x'.repeat(300), '%E2%80%AE', '%F0%9F%9A%80', '%ZZ', 'prj_', 'usr_nope', '<script>', '..', '%2e%2e'];
const JUNK_VALUES: unknown[] = [
  null, true, 0, -1, 1e309, 2 ** 53 + 1, '', ' ', 'x'.repeat(5000), '\u202Eevil', '\uD800', 'a\r\nBcc: x@evil.test', [], {}, [1, 2], { $ne: null },
  'owner', 'superuser', 'not-an-email', '@', 'a@b', 'pro', 'enterprise', '1e9', '-5', 'NaN', '<img src=x onerror=alert(1)>',
];
const FIELDS = ['name', 'email', 'password', 'role', 'plan', 'seats', 'quantity', 'tenantName', 'confirm', 'next', 'token', '__proto__', 'constructor'];

type Pick = <T>(items: readonly T[]) => T;

function junkObject(pick: Pick, rand: () => number): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const n = Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) body[pick(FIELDS)] = pick(JUNK_VALUES);
  return body;
}

interface Attempt {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  label: string;
}

/** One malformed request for `route`: junk ids, junk auth, junk bodies, junk content types, oversized bodies, junk queries. */
function malformed(route: Route, team: Team, pick: Pick, rand: () => number): Attempt {
  const kind = pick(['path', 'auth', 'json', 'fields', 'content-type', 'oversized', 'query', 'form'] as const);
  const ids: Record<string, string> = {
    tenant: team.owner.tenant.slug,
    id: pick([team.projectId, team.invitationId, team.apiKeyId]),
    userId: team.target.user.id,
    token: 'A'.repeat(43),
    idem: 'evt_fuzz',
  };
  let path = route.path.replace(/:(\w+)/g, (_, name: string) => ids[name] ?? pick(JUNK_SEGMENTS));
  // DELETE with real ids and real rights would legitimately delete: its ids are always junk.
  if (kind === 'path' || route.method === 'DELETE') path = route.path.replace(/:(\w+)/g, (_, name: string) => (name === 'tenant' && kind !== 'path' ? ids.tenant! : pick(JUNK_SEGMENTS)));
  const headers: Record<string, string> = {};
  const auth = kind === 'auth' ? pick(['', 'Bearer', 'Bearer ', 'Bearer ssk_forged', `Bearer ${team.owner.token}x`, 'Basic YTpi', `bearer  ${'x'.repeat(4000)}`]) : pick([team.owner.token, team.admin.token, team.member.token].map((t) => `Bearer ${t}`));
  if (auth) headers.authorization = auth;
  let body: string | undefined;
  switch (kind) {
    case 'json':
      headers['content-type'] = 'application/json';
      body = pick(['{', '{"name":', 'null', '[]', '"str"', '{"a":1}}', '\u0000', '{"name":"\\ud800"}', '{"__proto__":{"role":"owner"}}']);
      break;
    case 'fields':
      headers['content-type'] = 'application/json';
      body = JSON.stringify(rand() < 0.2 ? pick(JUNK_VALUES) : junkObject(pick, rand));
      break;
    case 'content-type':
      headers['content-type'] = pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-7', '']);
      body = JSON.stringify(junkObject(pick, rand));
      break;
    case 'oversized':
      headers['content-type'] = 'application/json';
      body = JSON.stringify({ name: 'x'.repeat(70 * 1024 + Math.floor(rand() * 1024)) });
      break;
    case 'form':
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.origin = pick([ORIGIN, 'https://evil.example', 'null']);
      body = new URLSearchParams(Object.entries(junkObject(pick, rand)).map(([k, v]) => [k, String(v)])).toString();
      break;
    case 'query':
      path += `?${pick(['limit=-1', 'limit=abc', 'limit=1e9', 'action=%3Cscript%3E', 'next=//evil.example', 'state=nope', 'before=x&before=y', '%ZZ=1', 'cursor=' + 'x'.repeat(3000)])}`;
      break;
    default:
      break;
  }
  if (route.method === 'GET' || route.method === 'HEAD') body = undefined;
  return { method: route.method, url: `${ORIGIN}${path}`, headers, body, label: `${kind} ${route.method} ${route.path}` };
}

/**
 * Every app table's rows, bookkeeping columns left out, as a comparable
 * string per table. Audit rows of accepted requests (by request id: a GET
 * such as the data export is audited) are theirs, not a refused request's.
 */
async function snapshot(tables: string[], acceptedRequestIds: ReadonlySet<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const table of tables) {
    const { results } = await env.DB.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).all<Record<string, unknown>>();
    const rows = results
      .filter((row) => table !== 'audit_log' || !acceptedRequestIds.has(String(row.request_id)))
      .map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !BOOKKEEPING.has(`${table}.${column}`))));
    out.set(table, JSON.stringify(rows));
  }
  return out;
}

function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((table) => before.get(table) !== after.get(table));
}

describe('fuzz: malformed requests across the route table', () => {
  it(`${REQUESTS} requests: no 5xx, no write by a refused request (seed ${SEED})`, { timeout: Math.max(90_000, REQUESTS * 100) }, async () => {
    const routes = routeTable();
    expect(routes.length).toBeGreaterThan(20);
    const team = await makeTeam();
    const tables = await appTables();
    const rand = prng(SEED);
    const pick: Pick = (items) => items[Math.floor(rand() * items.length)]!;

    const statuses = new Map<number, number>();
    const perRoute = new Map<string, number>();
    const serverErrors: string[] = [];
    const refusedWrites: string[] = [];
    let segmentsWithAnAcceptedWrite = 0;
    const acceptedRequestIds = new Set<string>();

    /** Mutating routes that accepted a malformed request once (logout takes any body): sent on their own from then on. */
    const acceptingRoutes = new Set<string>();
    let before = await snapshot(tables, acceptedRequestIds);
    let acceptedMutation = false;
    let labels: string[] = [];
    /** Closes the current run of requests: a change with none of them accepting a write is a refused request's write. */
    const checkSegment = async () => {
      const after = await snapshot(tables, acceptedRequestIds);
      const changed = changedTables(before, after);
      if (acceptedMutation) segmentsWithAnAcceptedWrite++;
      else if (changed.length > 0) refusedWrites.push(`tables ${changed.join(', ')} changed while every request was refused:\n  ${labels.join('\n  ')}`);
      before = after;
      acceptedMutation = false;
      labels = [];
    };

    for (let sent = 0; sent < REQUESTS; sent++) {
      // Round-robin over the routes, so each gets its share whatever the total.
      const route = routes[sent % routes.length]!;
      const key = `${route.method} ${route.path}`;
      const alone = acceptingRoutes.has(key);
      if (alone && labels.length > 0) await checkSegment();
      const attempt = malformed(route, team, pick, rand);
      const res = await exports.default.fetch(attempt.url, { method: attempt.method, headers: attempt.headers, body: attempt.body, redirect: 'manual' });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      perRoute.set(key, (perRoute.get(key) ?? 0) + 1);
      if (res.status >= 500) serverErrors.push(`${res.status} ${attempt.label} ${attempt.url} ${attempt.body?.slice(0, 200) ?? ''}`);
      if (res.status < 400) acceptedRequestIds.add(res.headers.get('x-request-id') ?? '');
      if (res.status < 400 && !['GET', 'HEAD'].includes(attempt.method)) {
        acceptedMutation = true;
        acceptingRoutes.add(key);
      }
      labels.push(`${res.status} ${attempt.label}`);
      if (alone || labels.length >= BATCH || sent === REQUESTS - 1) await checkSegment();
    }

    console.info(
      JSON.stringify({
        fuzz: { requests: REQUESTS, seed: SEED, routes: routes.length, statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)), segmentsWithAnAcceptedWrite },
      }),
    );
    expect(perRoute.size).toBe(Math.min(routes.length, REQUESTS));
    expect(serverErrors, serverErrors.slice(0, 10).join('\n')).toEqual([]);
    expect(refusedWrites, refusedWrites.slice(0, 3).join('\n')).toEqual([]);
  });
});
