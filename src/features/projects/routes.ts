import { Hono } from 'hono';
import type { AppEnv } from '../../platform/env';
import { validate } from '../../platform/http/validate';
import { requirePermission } from '../../platform/tenancy/permissions';
import { createProjectBody, projectParams, updateProjectBody } from './schema';
import { createProject, deleteProject, getProject, listProjects, updateProject } from './service';

/** Mounted at /api/t/:tenant/projects. */
export const projectRoutes = new Hono<AppEnv>()
  .get('/', requirePermission('projects:read'), async (c) => {
    return c.json({ projects: await listProjects(c.var.tenantCtx) });
  })
  .post('/', requirePermission('projects:write'), validate('json', createProjectBody), async (c) => {
    const project = await createProject(c.var.tenantCtx, c.req.valid('json'));
    return c.json({ project }, 201);
  })
  .get('/:id', requirePermission('projects:read'), validate('param', projectParams), async (c) => {
    return c.json({ project: await getProject(c.var.tenantCtx, c.req.valid('param').id) });
  })
  .patch('/:id', requirePermission('projects:write'), validate('param', projectParams), validate('json', updateProjectBody), async (c) => {
    const project = await updateProject(c.var.tenantCtx, c.req.valid('param').id, c.req.valid('json'));
    return c.json({ project });
  })
  .delete('/:id', requirePermission('projects:write'), validate('param', projectParams), async (c) => {
    await deleteProject(c.var.tenantCtx, c.req.valid('param').id);
    return c.body(null, 204);
  });
