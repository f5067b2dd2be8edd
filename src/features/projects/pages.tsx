/** The organisation's projects: list, create, delete. */
import type { Context } from 'hono';
import { requirePermission } from '../../platform/tenancy/guard';
import { can } from '../../platform/tenancy/policy';
import { redirectWithFlash } from '../../platform/ui/flash';
import { confirmPage } from '../../platform/ui/confirm';
import { buttonAction, Field, FormCard, readParams, type FormState } from '../../platform/ui/form';
import { DataTable, formatTime, RowAction } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import { pageWithForm } from '../../platform/ui/page-with-form';
import type { NavTab, TenantPageEnv } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import { createProjectBody, projectParams } from './inputs';
import { projectPermissions } from './permissions';
import { currentEntitlement } from '../billing/entitlement';
import { atLimit, UsageNote } from '../billing/usage';
import { createProject, deleteProject, getProject, listProjects } from './service';

export const projectsTab: NavTab = { label: 'Projects', path: 'projects', permission: projectPermissions.read };

async function projectsPage(c: Context<TenantPageEnv>, state: FormState) {
  const ctx = c.get('tenantCtx');
  const base = tenantPath(ctx.tenant, 'projects');
  const writable = can(ctx.role, projectPermissions.write);
  const [projects, entitlement] = await Promise.all([listProjects(ctx), currentEntitlement(ctx)]);
  const usage = { used: projects.length, limit: entitlement.limits.projects };
  return renderPage(
    c,
    { title: 'Projects', tab: projectsTab },
    <>
      <h1>Projects</h1>
      <UsageNote ctx={ctx} usage={usage} noun={['project', 'projects']} id="project-usage" />
      {/* At the limit the form would only be refused: the note above says what to do instead. */}
      {writable && !atLimit(usage) && (
        <FormCard id="new-project-heading" heading="New project" csrf={c.get('csrfToken')} action={base} state={state}>
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
                <RowAction href={tenantPath(ctx.tenant, 'projects', p.id, 'delete')} label="Delete" describedAs={`Delete ${p.name}`} />
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
  submit: async (c, input) => redirectWithFlash(c, c.req.path, { kind: 'success', message: `Project ${(await createProject(c.get('tenantCtx'), input, await currentEntitlement(c.get('tenantCtx')))).name} created.` }),
})
  .get('/:id/delete', requirePermission(projectPermissions.write), async (c) => {
    const project = await getProject(c.get('tenantCtx'), readParams(c, projectParams).id);
    const here = tenantPath(c.get('tenantCtx').tenant, 'projects', project.id, 'delete');
    return confirmPage(c, {
      title: 'Delete project',
      tab: projectsTab,
      question: `Delete ${project.name}?`,
      body: <p>The project is deleted for everyone in {c.get('tenantCtx').tenant.name}. This cannot be undone.</p>,
      action: here,
      button: 'Delete project',
      cancel: tenantPath(c.get('tenantCtx').tenant, 'projects'),
    });
  })
  .post('/:id/delete', requirePermission(projectPermissions.write), (c) => {
    const { id } = readParams(c, projectParams);
    return buttonAction(c, tenantPath(c.get('tenantCtx').tenant, 'projects'), async () => {
      await deleteProject(c.get('tenantCtx'), id);
      return 'Project deleted.';
    });
  });
