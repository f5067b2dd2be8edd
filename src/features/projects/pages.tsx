/** The organisation's projects: list, create, delete. */
import type { Context } from 'hono';
import { requirePermission } from '../../platform/tenancy/guard';
import { can } from '../../platform/tenancy/policy';
import { redirectWithFlash, type Flash } from '../../platform/ui/flash';
import { buttonAction, Field, FormCard, readParams, type FormState, type PageStatus } from '../../platform/ui/form';
import { DataTable, formatTime, RowAction } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import { pageWithForm } from '../../platform/ui/page-with-form';
import type { NavTab, TenantPageEnv } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import { createProjectBody, projectParams } from './inputs';
import { projectPermissions } from './permissions';
import { createProject, deleteProject, listProjects } from './service';

export const projectsTab: NavTab = { label: 'Projects', path: 'projects', permission: projectPermissions.read };

async function projectsPage(c: Context<TenantPageEnv>, state: FormState, status: PageStatus = 200, flash?: Flash) {
  const ctx = c.var.tenantCtx;
  const base = tenantPath(ctx.tenant, 'projects');
  const writable = can(ctx.role, projectPermissions.write);
  const projects = await listProjects(ctx);
  return renderPage(
    c,
    { title: 'Projects', tab: projectsTab, status, flash },
    <>
      <h1>Projects</h1>
      {writable && (
        <FormCard id="new-project-heading" heading="New project" csrf={c.var.csrfToken} action={base} state={state}>
          <Field name="name" label="Project name" state={state} required />
          <button type="submit">Create project</button>
        </FormCard>
      )}
      <DataTable
        caption={`${projects.length} ${projects.length === 1 ? 'project' : 'projects'}`}
        head={writable ? ['Name', 'Created', 'Actions'] : ['Name', 'Created']}
        empty="No projects yet."
        rows={projects.map((p) => (
          <tr>
            <td>{p.name}</td>
            <td>{formatTime(p.createdAt)}</td>
            {writable && (
              <td>
                <RowAction csrf={c.var.csrfToken} action={tenantPath(ctx.tenant, 'projects', p.id, 'delete')} label="Delete" describedAs={`Delete ${p.name}`} />
              </td>
            )}
          </tr>
        ))}
      />
    </>,
  );
}

/** Mounted at /t/:tenant/projects. */
export const projectPages = pageWithForm({
  view: projectPermissions.read,
  post: projectPermissions.write,
  schema: createProjectBody,
  // A plan limit (402) is explained in the flash; the name stays in the field.
  page: projectsPage,
  submit: async (c, input) => redirectWithFlash(c, c.req.path, { kind: 'success', message: `Project ${(await createProject(c.var.tenantCtx, input)).name} created.` }),
})
  .post('/:id/delete', requirePermission(projectPermissions.write), (c) => {
    const { id } = readParams(c, projectParams);
    return buttonAction(c, tenantPath(c.var.tenantCtx.tenant, 'projects'), async () => {
      await deleteProject(c.var.tenantCtx, id);
      return 'Project deleted.';
    });
  });
