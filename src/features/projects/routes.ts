import { pageQuery, toPage } from '../../platform/pagination';
import { idempotent } from '../../platform/http/idempotency';
import { describe } from '../../platform/http/route-doc';
import { projectListResponse, projectResponse } from './outputs';
import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { entitlementOfRequest, subscriptionRead } from '../billing/entitlement';
import { requirePermission } from '../../platform/tenancy/guard';
import { createProjectBody, projectParams, updateProjectBody } from './inputs';
import { projectPermissions } from './permissions';
import { createProject, deleteProject, getProject, listProjectsOfRequest, projectListRead, updateProject } from './service';

/** Mounted at /api/t/:tenant/projects. */
export const projectRoutes = tenantApp()
  .get('/', describe({ summary: 'List projects', response: { status: 200, schema: projectListResponse } }), requirePermission(projectPermissions.read), validate('query', pageQuery), projectListRead.batched(), async (c) => {
    const page = c.req.valid('query');
    const { items, nextCursor } = toPage(await listProjectsOfRequest(c), page, (p) => ({ at: p.createdAt, id: p.id }));
    return c.json({ projects: items, nextCursor });
  })
  .post('/', describe({ summary: 'Create a project', errors: [402], response: { status: 201, schema: projectResponse } }), requirePermission(projectPermissions.write), validate('json', createProjectBody), subscriptionRead.batched(), idempotent(), async (c) => {
    const project = await createProject(c.get('tenantCtx'), c.req.valid('json'), await entitlementOfRequest(c));
    return c.json({ project }, 201);
  })
  .get('/:id', describe({ summary: 'A project', response: { status: 200, schema: projectResponse } }), requirePermission(projectPermissions.read), validate('param', projectParams), async (c) => {
    return c.json({ project: await getProject(c.get('tenantCtx'), c.req.valid('param').id) });
  })
  .patch('/:id', describe({ summary: 'Rename a project', errors: [402], response: { status: 200, schema: projectResponse } }), requirePermission(projectPermissions.write), validate('param', projectParams), validate('json', updateProjectBody), async (c) => {
    const project = await updateProject(c.get('tenantCtx'), c.req.valid('param').id, c.req.valid('json'));
    return c.json({ project });
  })
  .delete('/:id', describe({ summary: 'Delete a project', response: { status: 204 } }), requirePermission(projectPermissions.write), validate('param', projectParams), async (c) => {
    await deleteProject(c.get('tenantCtx'), c.req.valid('param').id);
    return c.body(null, 204);
  });
