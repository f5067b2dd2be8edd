/**
 * Role × route, generated from the app's route table and the permission
 * matrix: every role's outcome on every tenant route is asserted, and a route
 * added without a declared permission, a body or an id fixture fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../src/platform/db/schema';
import { can } from '../../src/platform/tenancy/policy';
import { makeTeam, type Team } from './fixtures';
import { call, uniqueEmail } from './helpers';
import { fillPath, idParams, tenantRoutes } from './tenant-routes';

const BODIES: Record<string, () => unknown> = {
  'POST /api/t/:tenant/projects': () => ({ name: 'New project' }),
  'PATCH /api/t/:tenant': () => ({ name: 'Renamed tenant' }),
  'PATCH /api/t/:tenant/projects/:id': () => ({ name: 'Renamed' }),
  'PATCH /api/t/:tenant/members/:userId': () => ({ role: 'admin' }),
  'POST /api/t/:tenant/invitations': () => ({ email: uniqueEmail('matrix'), role: 'member' }),
  'POST /api/t/:tenant/api-keys': () => ({ name: 'Matrix key', role: 'member' }),
  'POST /api/t/:tenant/billing/checkout': () => ({ plan: 'pro', seats: 5 }),
  'POST /api/t/:tenant/billing/portal': () => ({}),
  'POST /api/t/:tenant/billing/seats': () => ({ quantity: 5 }),
};

/**
 * Where the team fixture lets a permitted caller through the permission gate
 * only to meet a business rule, the status that rule answers with. Everything
 * else permitted must succeed (2xx).
 */
const PERMITTED_BUT_REFUSED: Record<string, number> = {
  // The fixture is already on pro (checkout is for free tenants), and its plan
  // was granted directly, so there is no Stripe customer or subscription.
  'POST /api/t/:tenant/billing/checkout': 409,
  'POST /api/t/:tenant/billing/portal': 409,
  'POST /api/t/:tenant/billing/seats': 409,
};

/** The team's resource for each `segment/:param` a route can name. */
function idsFor(path: string, team: Team): Record<string, string> {
  const fixtures: Record<string, string> = {
    'projects/:id': team.projectId,
    'members/:userId': team.target.user.id,
    'invitations/:id': team.invitationId,
    'api-keys/:id': team.apiKeyId,
  };
  return Object.fromEntries(
    idParams(path).map(({ param, key }) => {
      const id = fixtures[key];
      if (!id) throw new Error(`Teach makeTeam() and idsFor() in route-matrix.test.ts about "${key}"`);
      return [param, id];
    }),
  );
}

const routes = tenantRoutes();

describe('role × route matrix', () => {
  /**
   * One team for the calls that change nothing (a read, or a caller the
   * route refuses), made once: a team is some twenty requests. A permitted
   * write gets a team of its own, so no test sees another's change.
   */
  let unchanged: Team;
  beforeAll(async () => {
    unchanged = await makeTeam();
  });

  for (const route of routes) {
    for (const role of ROLES) {
      const key = `${route.method} ${route.path}`;
      const permission = route.permission;
      const allowed = permission !== undefined && can(role, permission);

      it(`${role} ${allowed ? 'may' : 'may not'} ${key} (${permission?.name})`, async () => {
        expect(permission, `${key} declares no permission`).toBeDefined();
        const team = route.method === 'GET' || !allowed ? unchanged : await makeTeam();
        const caller = role === 'owner' ? team.owner : team[role];
        const needsBody = ['POST', 'PATCH', 'PUT'].includes(route.method);
        if (needsBody && !BODIES[key]) throw new Error(`Add a valid body for "${key}" to BODIES in route-matrix.test.ts`);

        const res = await call(route.method, fillPath(route.path, team.owner.tenant.slug, idsFor(route.path, team)), {
          token: caller.token,
          body: needsBody ? BODIES[key]?.() : undefined,
        });

        const refusedBy = PERMITTED_BUT_REFUSED[key];
        if (allowed && refusedBy) {
          expect(res.status, JSON.stringify(res.body)).toBe(refusedBy);
        } else if (allowed) {
          expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(200);
          expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
        } else {
          expect(res.status).toBe(403);
          expect(res.body.error.code).toBe('forbidden');
        }
      });
    }
  }
});

