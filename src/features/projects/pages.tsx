/** The organisation's projects: list, create, delete. */
import { Hono, type Context } from 'hono';
import { redirectWithFlash } from '../../platform/ui/flash';
import { asFormError, EMPTY_FORM, Field, FormErrors, readForm, readParams, type FormState } from '../../platform/ui/form';
import { DataTable, Form, formatTime, RowAction } from '../../platform/ui/layout';
import { renderPage, type PageOptions } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import type { Flash } from '../../platform/ui/flash';
import { can, requirePermission } from '../../platform/tenancy/permissions';
import { createProjectBody, projectParams } from './schema';
import { createProject, deleteProject, listProjects } from './service';

async function projectsPage(c: Context<PageEnv>, state: FormState, status: PageOptions['status'] = 200, flash?: Flash) {
  const ctx = c.var.tenantCtx;
  const base = `/t/${ctx.tenant.slug}/projects`;
  const writable = can(ctx.role, 'projects:write');
  const projects = await listProjects(ctx);
  return renderPage(
    c,
    { title: 'Projects', tab: 'projects', status, flash },
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
                <RowAction csrf={c.var.csrfToken} action={`${base}/${encodeURIComponent(p.id)}/delete`} label="Delete" describedAs={`Delete ${p.name}`} />
              </td>
            )}
          </tr>
        ))}
      />
    </>,
  );
}

/** Mounted at /t/:tenant/projects. */
export const projectPages = new Hono<PageEnv>()
  .get('/', requirePermission('projects:read'), (c) => projectsPage(c, EMPTY_FORM))
  .post('/', requirePermission('projects:write'), async (c) => {
    const form = await readForm(c, createProjectBody);
    if (!form.ok) return projectsPage(c, form.state, 400);
    try {
      const project = await createProject(c.var.tenantCtx, form.data);
      return redirectWithFlash(c, c.req.path, { kind: 'success', message: `Project ${project.name} created.` });
    } catch (err) {
      // A plan limit (402) is explained in the flash; the name stays in the field.
      const refusal = asFormError(err);
      return projectsPage(c, form.state, refusal.status as PageOptions['status'], { kind: 'error', message: refusal.message });
    }
  })
  .post('/:id/delete', requirePermission('projects:write'), async (c) => {
    const { id } = readParams(c, projectParams);
    const base = `/t/${c.var.tenantCtx.tenant.slug}/projects`;
    try {
      await deleteProject(c.var.tenantCtx, id);
      return redirectWithFlash(c, base, { kind: 'success', message: 'Project deleted.' });
    } catch (err) {
      return redirectWithFlash(c, base, { kind: 'error', message: asFormError(err).message });
    }
  });
