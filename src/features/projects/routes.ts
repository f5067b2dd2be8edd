import { tenantApp } from '../../platform/http/apps';
import { validate } from '../../platform/http/validate';
import { entitlementOfRequest, subscriptionRead } from '../billing/entitlement';
import { requirePermission } from '../../platform/tenancy/guard';
import { createProjectBody, projectParams, updateProjectBody } from './inputs';
import { projectPermissions } from './permissions';
import { createProject, deleteProject, getProject, listProjectsOfRequest, projectListRead, updateProject } from './service';

/** Mounted at /api/t/:tenant/projects. */
export const projectRoutes = tenantApp()
  .get('/', requirePermission(projectPermissions.read), projectListRead.batched(), async (c) => {
    return c.json({ projects: await listProjectsOfRequest(c) });
  })
  .post('/', requirePermission(projectPermissions.write), validate('json', createProjectBody), subscriptionRead.batched(), async (c) => {
    const project = await createProject(c.var.tenantCtx, c.req.valid('json'), await entitlementOfRequest(c));
    return c.json({ project }, 201);
  })
  .get('/:id', requirePermission(projectPermissions.read), validate('param', projectParams), async (c) => {
    return c.json({ project: await getProject(c.var.tenantCtx, c.req.valid('param').id) });
  })
  .patch('/:id', requirePermission(projectPermissions.write), validate('param', projectParams), validate('json', updateProjectBody), async (c) => {
    const project = await updateProject(c.var.tenantCtx, c.req.valid('param').id, c.req.valid('json'));
    return c.json({ project });
  })
  .delete('/:id', requirePermission(projectPermissions.write), validate('param', projectParams), async (c) => {
    await deleteProject(c.var.tenantCtx, c.req.valid('param').id);
    return c.body(null, 204);
  });
