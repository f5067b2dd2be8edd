/**
 * Tenant isolation, over every route under /api/t/:tenant, read from the
 * app's route table. A new route is covered the day it is added; if it has a
 * new kind of id, or needs a body, this file says what to add.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshotTenant } from './db-snapshot';
import { addMember, call, signUpOwner, uniqueEmail, type SignedUp } from './helpers';
import { fillPath, idParams, tenantRoutes } from './tenant-routes';

/** A valid body for each route that takes one, so a 404 is never masked by a 400. */
const EXAMPLE_BODIES: Record<string, unknown> = {
  'POST /api/t/:tenant/projects': { name: 'Intruder project' },
  'PATCH /api/t/:tenant': { name: 'Renamed by intruder' },
  'PATCH /api/t/:tenant/projects/:id': { name: 'Renamed by intruder' },
  'PATCH /api/t/:tenant/members/:userId': { role: 'admin' },
  'POST /api/t/:tenant/invitations': { email: 'intruder@example.test', role: 'member' },
  'POST /api/t/:tenant/api-keys': { name: 'Intruder key', role: 'member' },
  'POST /api/t/:tenant/billing/checkout': { plan: 'pro', seats: 5 },
  'POST /api/t/:tenant/billing/portal': {},
  'POST /api/t/:tenant/billing/seats': { quantity: 5 },
};

const METHODS_WITH_BODY = new Set(['POST', 'PATCH', 'PUT']);

interface Victim extends SignedUp {
  /** The victim's resource id for each `segment/:param` a route can name. */
  ids: Record<string, string>;
}

/** A tenant with one of everything a route can name: a project, a member, a pending invitation, an API key. */
async function makeVictim(): Promise<Victim> {
  const owner = await signUpOwner('Victim Co');
  const member = await addMember(owner, 'member');
  const base = `/api/t/${owner.tenant.slug}`;
  const project = await call('POST', `${base}/projects`, { token: owner.token, body: { name: 'Secret plan' } });
  const invitation = await call('POST', `${base}/invitations`, { token: owner.token, body: { email: uniqueEmail('pending'), role: 'member' } });
  const key = await call('POST', `${base}/api-keys`, { token: owner.token, body: { name: 'Deploy bot', role: 'member' } });
  return {
    ...owner,
    ids: {
      'projects/:id': project.body.project.id,
      'members/:userId': member.user.id,
      'invitations/:id': invitation.body.invitation.id,
      'api-keys/:id': key.body.apiKey.id,
    },
  };
}

function bodyFor(method: string, path: string): unknown {
  if (!METHODS_WITH_BODY.has(method)) return undefined;
  const key = `${method} ${path}`;
  if (!(key in EXAMPLE_BODIES)) throw new Error(`Add a valid example body for "${key}" to EXAMPLE_BODIES in ${import.meta.url}`);
  return EXAMPLE_BODIES[key];
}

function victimIds(victim: Victim, path: string): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const { param, key } of idParams(path)) {
    const id = victim.ids[key];
    if (!id) throw new Error(`Teach makeVictim() in isolation.test.ts to create a victim resource for "${key}" (route ${path})`);
    ids[param] = id;
  }
  return ids;
}

const routes = tenantRoutes();

describe('tenant isolation over every tenant route', () => {
  it('finds the tenant routes', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
  });

  /**
   * One victim and one attacker for every route below, made once (each is
   * some ten requests): every call must change nothing, and each test
   * compares the victim's rows before and after its own call.
   */
  let victim: Victim;
  let attacker: SignedUp;
  beforeAll(async () => {
    victim = await makeVictim();
    attacker = await signUpOwner('Attacker Inc');
  });

  /**
   * The attacker, owner of a tenant of their own, calls `route` in `tenantSlug`
   * (the victim's, or their own) naming the victim's resources. It must be a
   * 404, and the victim's rows must be exactly as they were.
   */
  async function expectNotFoundAndUnchanged(route: (typeof routes)[number], inVictimsTenant: boolean) {
    const before = await snapshotTenant(victim.tenant.id);
    const slug = inVictimsTenant ? victim.tenant.slug : attacker.tenant.slug;

    const res = await call(route.method, fillPath(route.path, slug, victimIds(victim, route.path)), {
      token: attacker.token,
      body: bodyFor(route.method, route.path),
    });

    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(await snapshotTenant(victim.tenant.id)).toBe(before);
  }

  for (const route of routes) {
    const label = `${route.method} ${route.path}`;
    it(`${label}: a non-member gets 404 and the victim's data is unchanged`, () => expectNotFoundAndUnchanged(route, true));
    if (idParams(route.path).length > 0) {
      it(`${label}: another tenant's id inside one's own tenant gets 404 and changes nothing`, () => expectNotFoundAndUnchanged(route, false));
    }
  }

  it('a tenant that does not exist answers exactly like one that is not yours', async () => {
    const theirs = await call('GET', `/api/t/${victim.tenant.slug}/projects`, { token: attacker.token });
    const missing = await call('GET', `/api/t/no-such-tenant-${crypto.randomUUID()}/projects`, { token: attacker.token });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual(missing.body);
  });

  it('signed-out callers get 401 before anything about the tenant is revealed', async () => {
    const res = await call('GET', `/api/t/${victim.tenant.slug}`);
    expect(res.status).toBe(401);
  });
});

describe('route table', () => {
  it('every tenant route declares its permission with requirePermission', () => {
    const undeclared = routes.filter((r) => !r.permission).map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
  });
});
