/** The organisation's projects: list, create, delete. */
import type { Context } from 'hono';
import { tenantPageApp } from '../../platform/http/apps';
import { requirePermission } from '../../platform/tenancy/guard';
import { can } from '../../platform/tenancy/policy';
import { redirectWithFlash, type Flash } from '../../platform/ui/flash';
import { buttonAction, EMPTY_FORM, Field, formAction, FormErrors, readParams, type FormState, type PageStatus } from '../../platform/ui/form';
import { DataTable, Form, formatTime, RowAction } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
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
        <section class="card" aria-labelledby="new-project-heading">
          <h2 id="new-project-heading">New project</h2>
          <Form csrf={c.var.csrfToken} action={base} class="inline-form" label="New project">
            <FormErrors state={state} />
            <Field name="name" label="Project name" state={state} required />
            <button type="submit">Create project</button>
          </Form>
        </section>
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
export const projectPages = tenantPageApp()
  .get('/', requirePermission(projectPermissions.read), (c) => projectsPage(c, EMPTY_FORM))
  .post('/', requirePermission(projectPermissions.write), (c) =>
    // A plan limit (402) is explained in the flash; the name stays in the field.
    formAction(c, createProjectBody, {
      submit: async (input) => {
        const project = await createProject(c.var.tenantCtx, input);
        return redirectWithFlash(c, c.req.path, { kind: 'success', message: `Project ${project.name} created.` });
      },
      render: (state, status, flash) => projectsPage(c, state, status, flash),
    }),
  )
  .post('/:id/delete', requirePermission(projectPermissions.write), (c) => {
    const { id } = readParams(c, projectParams);
    return buttonAction(c, tenantPath(c.var.tenantCtx.tenant, 'projects'), async () => {
      await deleteProject(c.var.tenantCtx, id);
      return 'Project deleted.';
    });
  });
