/** Where a signed-in person lands, creating an organisation, and its settings. */
import type { Context } from 'hono';
import type { FC } from 'hono/jsx';
import { AppError } from '../../platform/errors';
import { pageApp } from '../../platform/http/apps';
import { requestContext } from '../../platform/http/request-context';
import { requirePermission } from '../../platform/tenancy/guard';
import { can } from '../../platform/tenancy/policy';
import { redirectWithFlash } from '../../platform/ui/flash';
import { buttonAction, Field, formAction, FormErrors, keptForm, readForm, type FormState } from '../../platform/ui/form';
import { Form } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import { pageWithForm } from '../../platform/ui/page-with-form';
import type { NavTab, PageEnv, TenantPageEnv } from '../../platform/ui/page-env';
import { currentUser, requireSignedIn, signInPath } from '../../platform/ui/page-session';
import { tenantPath } from '../../platform/ui/paths';
import { createTenantBody, deleteTenantForm, renameTenantBody, requireMfaForm } from './inputs';
import { deleteTenant, exportTenant } from './lifecycle';
import { tenantPermissions } from './permissions';
import { createTenant, mfaRequired, refuseUnverifiedSecondTenant, renameTenant, updateTenant } from './service';

export const settingsTab: NavTab = { label: 'Settings', path: 'settings', permission: tenantPermissions.update };

const CreateTenantForm: FC<{ csrf: string; state: FormState }> = ({ csrf, state }) => (
  <Form csrf={csrf} action="/tenants/new" label="Create an organisation">
    <FormErrors state={state} />
    <Field name="name" label="Organisation name" state={state} autocomplete="organization" required />
    <div class="actions">
      <button type="submit">Create organisation</button>
    </div>
  </Form>
);

function newTenantPage(c: Context<PageEnv>, state: FormState, first: boolean) {
  return renderPage(
    c,
    { title: first ? 'Create your first organisation' : 'New organisation', narrow: true },
    <div class="card">
      <h1>{first ? 'Create your first organisation' : 'New organisation'}</h1>
      <p>An organisation holds your projects, members and billing. You will be its owner.</p>
      <CreateTenantForm csrf={c.get('csrfToken')} state={state} />
      {first && <p class="muted">Invited to an organisation? Open the link in your invitation email.</p>}
    </div>,
  );
}

/** Mounted at /. */
export const startPages = pageApp()
  .get('/', async (c) => {
    if (!currentUser(c)) return c.redirect('/signin', 303);
    const first = (await c.get('viewer')())?.memberships[0];
    if (first) return c.redirect(tenantPath(first.tenant), 303);
    return newTenantPage(c, await keptForm(c), true);
  })
  .get('/tenants/new', requireSignedIn(), async (c) => newTenantPage(c, await keptForm(c), false))
  .post('/tenants/new', async (c) => {
    const user = currentUser(c);
    if (!user) return c.redirect(signInPath('/tenants/new'), 303);
    return formAction(c, createTenantBody, {
      submit: async ({ name }) => {
        await refuseUnverifiedSecondTenant(requestContext(c), user);
        const tenant = await createTenant(requestContext(c), { name, ownerId: user.userId });
        return redirectWithFlash(c, tenantPath(tenant), { kind: 'success', message: `${tenant.name} is ready.` });
      },
      refusalField: 'name',
    });
  });

async function settingsPage(c: Context<TenantPageEnv>, state: FormState, deleteState: FormState) {
  const { tenant, role } = c.get('tenantCtx');
  const requireMfa = role === 'owner' && (await mfaRequired(c.get('tenantCtx')));
  return renderPage(
    c,
    { title: 'Settings', tab: settingsTab },
    <>
      <h1>Settings</h1>
      <section class="card" aria-labelledby="rename-heading">
        <h2 id="rename-heading">Organisation name</h2>
        <Form csrf={c.get('csrfToken')} action={tenantPath(tenant, 'settings')} label="Rename organisation">
          <FormErrors state={state} />
          <Field name="name" label="Name" state={state} initial={tenant.name} required hint="Your URL stays the same when you rename." />
          <button type="submit">Save name</button>
        </Form>
      </section>
      <section class="card" aria-labelledby="about-heading">
        <h2 id="about-heading">About this organisation</h2>
        <dl class="facts">
          <dt>URL</dt>
          <dd>
            <code>{tenantPath(tenant)}</code>
          </dd>
          <dt>ID</dt>
          <dd>
            <code>{tenant.id}</code>
          </dd>
        </dl>
      </section>
      {role === 'owner' && (
        <section class="card" aria-labelledby="mfa-heading">
          <h2 id="mfa-heading">Two-factor sign-in</h2>
          <p>{requireMfa ? 'Required: members without it are sent to turn it on before they see this organisation. API keys are not affected.' : 'Not required.'}</p>
          <Form csrf={c.get('csrfToken')} action={tenantPath(tenant, 'settings', 'require-mfa')} label="Two-factor requirement">
            <input type="hidden" name="requireMfa" value={requireMfa ? 'false' : 'true'} />
            <button type="submit" class={requireMfa ? 'secondary' : undefined}>
              {requireMfa ? 'Stop requiring two-factor sign-in' : 'Require two-factor sign-in'}
            </button>
          </Form>
        </section>
      )}
      {can(role, tenantPermissions.export) && (
        <section class="card" aria-labelledby="export-heading">
          <h2 id="export-heading">Export your data</h2>
          <p>Everything this organisation holds, as one JSON file: members, invitations, projects, API keys (without their secrets), billing and the audit log.</p>
          <a class="button secondary" href={tenantPath(tenant, 'settings', 'export')} download>
            Download export
          </a>
        </section>
      )}
      {can(role, tenantPermissions.delete) && (
        <section class="card danger" aria-labelledby="delete-heading">
          <h2 id="delete-heading">Delete this organisation</h2>
          <p>
            Cancels the subscription, then deletes every project, member, invitation, API key and audit entry of {tenant.name}. This cannot be undone: download an
            export first.
          </p>
          <Form csrf={c.get('csrfToken')} action={tenantPath(tenant, 'settings', 'delete')} label="Delete organisation">
            <FormErrors state={deleteState} />
            <Field name="confirm" label={`Type ${tenant.slug} to confirm`} state={deleteState} autocomplete="off" required />
            <button type="submit" class="danger">
              Delete organisation
            </button>
          </Form>
        </section>
      )}
    </>,
  );
}

const DELETE_FORM = 'delete';

/** Mounted at /t/:tenant/settings. */
export const settingsPages = pageWithForm({
  view: tenantPermissions.update,
  post: tenantPermissions.update,
  schema: renameTenantBody,
  page: async (c, state) => settingsPage(c, state, await keptForm(c, DELETE_FORM)),
  refusalField: 'name',
  submit: async (c, input) => {
    const tenant = await renameTenant(c.get('tenantCtx'), input);
    return redirectWithFlash(c, tenantPath(tenant, 'settings'), { kind: 'success', message: `Renamed to ${tenant.name}.` });
  },
})
  .get('/export', requirePermission(tenantPermissions.export), async (c) => {
    const data = await exportTenant(c.get('tenantCtx'));
    c.header('Content-Disposition', `attachment; filename="${c.get('tenantCtx').tenant.slug}-export.json"`);
    return c.json(data);
  })
  .post('/require-mfa', requirePermission(tenantPermissions.update), (c) =>
    buttonAction(c, tenantPath(c.get('tenantCtx').tenant, 'settings'), async () => {
      const form = await readForm(c, requireMfaForm);
      if (!form.ok) throw new AppError('validation_failed', 'Choose whether to require two-factor sign-in');
      const { requireMfa } = form.data;
      await updateTenant(c.get('tenantCtx'), { requireMfa });
      return requireMfa ? 'Two-factor sign-in is now required.' : 'Two-factor sign-in is no longer required.';
    }),
  )
  .post('/delete', requirePermission(tenantPermissions.delete), (c) => {
    const { tenant } = c.get('tenantCtx');
    return formAction(c, deleteTenantForm(tenant.slug), {
      submit: async () => {
        await deleteTenant(c.get('tenantCtx'));
        return redirectWithFlash(c, '/', { kind: 'success', message: `${tenant.name} was deleted.` });
      },
      back: tenantPath(tenant, 'settings'),
      formId: DELETE_FORM,
      refusalField: '_form',
    });
  });
