/** Where a signed-in person lands, creating an organisation, its dashboard and its settings. */
import { Hono, type Context } from 'hono';
import type { FC } from 'hono/jsx';
import { redirectWithFlash } from '../../platform/ui/flash';
import { asFormError, EMPTY_FORM, Field, FormErrors, readForm, withError, type FormState } from '../../platform/ui/form';
import { Form, ROLE_LABELS } from '../../platform/ui/layout';
import { renderPage, type PageOptions } from '../../platform/ui/page-app';
import type { PageEnv } from '../../platform/ui/page-env';
import { requireSignedIn, signedInUser, signInPath } from '../../platform/ui/session';
import { can, requirePermission } from '../../platform/tenancy/permissions';
import { getBillingSummary } from '../billing/service';
import { PLAN_TABLE } from '../billing/plans';
import { listMembers } from '../members/service';
import { listProjects } from '../projects/service';
import { deleteTenant, exportTenant } from './lifecycle';
import { createTenantBody, deleteTenantForm, renameTenantBody } from './schema';
import { createTenant, renameTenant } from './service';

const CreateTenantForm: FC<{ csrf: string; state: FormState }> = ({ csrf, state }) => (
  <Form csrf={csrf} action="/tenants/new" label="Create an organisation">
    <FormErrors state={state} />
    <Field name="name" label="Organisation name" state={state} autocomplete="organization" required />
    <div class="actions">
      <button type="submit">Create organisation</button>
    </div>
  </Form>
);

function newTenantPage(c: Context<PageEnv>, state: FormState, first: boolean, status: PageOptions['status'] = 200) {
  return renderPage(
    c,
    { title: first ? 'Create your first organisation' : 'New organisation', narrow: true, status },
    <div class="card">
      <h1>{first ? 'Create your first organisation' : 'New organisation'}</h1>
      <p>An organisation holds your projects, members and billing. You will be its owner.</p>
      <CreateTenantForm csrf={c.var.csrfToken} state={state} />
      {first && <p class="muted">Invited to an organisation? Open the link in your invitation email.</p>}
    </div>,
  );
}

/** Mounted at /. */
export const startPages = new Hono<PageEnv>()
  .get('/', async (c) => {
    if (!signedInUser(c)) return c.redirect('/signin', 303);
    const first = (await c.var.viewer())?.memberships[0];
    if (first) return c.redirect(`/t/${first.tenant.slug}`, 303);
    return newTenantPage(c, EMPTY_FORM, true);
  })
  .get('/tenants/new', requireSignedIn(), (c) => newTenantPage(c, EMPTY_FORM, false))
  .post('/tenants/new', async (c) => {
    const user = signedInUser(c);
    if (!user) return c.redirect(signInPath('/tenants/new'), 303);
    const form = await readForm(c, createTenantBody);
    if (!form.ok) return newTenantPage(c, form.state, false, 400);
    try {
      const tenant = await createTenant(c.env, { name: form.data.name, ownerId: user.userId, requestId: c.var.requestId });
      return redirectWithFlash(c, `/t/${tenant.slug}`, { kind: 'success', message: `${tenant.name} is ready.` });
    } catch (err) {
      const refusal = asFormError(err);
      return newTenantPage(c, withError(form.state, refusal, 'name'), false, 409);
    }
  });

const Stat: FC<{ label: string; value: string; detail?: string; children?: unknown }> = (p) => (
  <section class="stat" aria-label={p.label}>
    <h2>{p.label}</h2>
    <p class="value">{p.value}</p>
    {p.detail && <p class="muted">{p.detail}</p>}
    {p.children}
  </section>
);

function settingsPage(c: Context<PageEnv>, state: FormState, status: PageOptions['status'] = 200, deleteState: FormState = EMPTY_FORM) {
  const { tenant, role } = c.var.tenantCtx;
  return renderPage(
    c,
    { title: 'Settings', tab: 'settings', status },
    <>
      <h1>Settings</h1>
      <section class="card" aria-labelledby="rename-heading">
        <h2 id="rename-heading">Organisation name</h2>
        <Form csrf={c.var.csrfToken} action={`/t/${tenant.slug}/settings`} label="Rename organisation">
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
            <code>/t/{tenant.slug}</code>
          </dd>
          <dt>ID</dt>
          <dd>
            <code>{tenant.id}</code>
          </dd>
        </dl>
      </section>
      {can(role, 'tenant:export') && (
        <section class="card" aria-labelledby="export-heading">
          <h2 id="export-heading">Export your data</h2>
          <p>Everything this organisation holds, as one JSON file: members, invitations, projects, API keys (without their secrets), billing and the audit log.</p>
          <a class="button secondary" href={`/t/${tenant.slug}/settings/export`} download>
            Download export
          </a>
        </section>
      )}
      {can(role, 'tenant:delete') && (
        <section class="card danger" aria-labelledby="delete-heading">
          <h2 id="delete-heading">Delete this organisation</h2>
          <p>
            Cancels the subscription, then deletes every project, member, invitation, API key and audit entry of {tenant.name}. This cannot be undone: download an
            export first.
          </p>
          <Form csrf={c.var.csrfToken} action={`/t/${tenant.slug}/settings/delete`} label="Delete organisation">
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

/** Mounted at /t/:tenant, behind the tenant page middleware. */
export const tenantPages = new Hono<PageEnv>()
  .get('/', requirePermission('tenant:read'), async (c) => {
    const ctx = c.var.tenantCtx;
    const slug = ctx.tenant.slug;
    const billing = can(ctx.role, 'billing:read') ? await getBillingSummary(ctx, c.env) : null;
    const projectCount = billing ? billing.usage.projects : (await listProjects(ctx)).length;
    const memberCount = can(ctx.role, 'members:read') ? (await listMembers(ctx)).length : null;
    return renderPage(
      c,
      { title: 'Dashboard', tab: 'dashboard' },
      <>
        <div class="page-head">
          <h1>{ctx.tenant.name}</h1>
          <p class="muted">You are {ROLE_LABELS[ctx.role].toLowerCase()} here.</p>
        </div>
        {billing?.pastDue && (
          <div class="banner banner-warn" role="alert">
            <p>
              Your last payment failed. <a href={`/t/${slug}/billing`}>Update your billing details</a> to keep your plan.
            </p>
          </div>
        )}
        <div class="grid">
          {billing && (
            <Stat label="Plan" value={PLAN_TABLE[billing.plan].label} detail={`Status: ${billing.status === 'none' ? 'no subscription' : billing.status}`}>
              <a href={`/t/${slug}/billing`}>Billing</a>
            </Stat>
          )}
          {billing && (
            <Stat label="Seats" value={`${billing.seats.used} of ${billing.seats.limit ?? 'unlimited'}`} detail="Members and pending invitations">
              {billing.seats.limit !== null && <meter min={0} max={billing.seats.limit} value={billing.seats.used} aria-label="Seats used" />}
            </Stat>
          )}
          <Stat
            label="Projects"
            value={billing?.limits.projects ? `${projectCount} of ${billing.limits.projects}` : String(projectCount)}
            detail={billing && billing.limits.projects === null ? 'Unlimited on your plan' : undefined}
          >
            <a href={`/t/${slug}/projects`}>Projects</a>
          </Stat>
          {!billing && memberCount !== null && (
            <Stat label="Members" value={String(memberCount)}>
              <a href={`/t/${slug}/members`}>Members</a>
            </Stat>
          )}
        </div>
        <section class="card" aria-labelledby="next-heading">
          <h2 id="next-heading">Get going</h2>
          <ul>
            {can(ctx.role, 'projects:write') && (
              <li>
                <a href={`/t/${slug}/projects`}>Create a project</a>
              </li>
            )}
            {can(ctx.role, 'members:invite') && memberCount !== null && (
              <li>
                <a href={`/t/${slug}/members`}>Invite your team</a> ({memberCount} {memberCount === 1 ? 'member' : 'members'} so far)
              </li>
            )}
            {can(ctx.role, 'billing:manage') && billing?.plan === 'free' && (
              <li>
                <a href={`/t/${slug}/billing`}>Upgrade to Pro</a> for more seats and projects
              </li>
            )}
            {can(ctx.role, 'api_keys:manage') && (
              <li>
                <a href={`/t/${slug}/api-keys`}>Create an API key</a> for scripts and integrations
              </li>
            )}
          </ul>
        </section>
      </>,
    );
  })
  .get('/settings', requirePermission('tenant:update'), (c) => settingsPage(c, EMPTY_FORM))
  .post('/settings', requirePermission('tenant:update'), async (c) => {
    const form = await readForm(c, renameTenantBody);
    if (!form.ok) return settingsPage(c, form.state, 400);
    try {
      const tenant = await renameTenant(c.var.tenantCtx, form.data);
      return redirectWithFlash(c, `/t/${tenant.slug}/settings`, { kind: 'success', message: `Renamed to ${tenant.name}.` });
    } catch (err) {
      const refusal = asFormError(err);
      return settingsPage(c, withError(form.state, refusal, 'name'), refusal.status as PageOptions['status']);
    }
  })
  .get('/settings/export', requirePermission('tenant:export'), async (c) => {
    const data = await exportTenant(c.var.tenantCtx, c.env);
    c.header('Content-Disposition', `attachment; filename="${c.var.tenantCtx.tenant.slug}-export.json"`);
    return c.json(data);
  })
  .post('/settings/delete', requirePermission('tenant:delete'), async (c) => {
    const { tenant } = c.var.tenantCtx;
    const form = await readForm(c, deleteTenantForm(tenant.slug));
    if (!form.ok) return settingsPage(c, EMPTY_FORM, 400, form.state);
    try {
      await deleteTenant(c.var.tenantCtx, c.env);
      return redirectWithFlash(c, '/', { kind: 'success', message: `${tenant.name} was deleted.` });
    } catch (err) {
      const refusal = asFormError(err);
      return settingsPage(c, EMPTY_FORM, refusal.status as PageOptions['status'], withError(form.state, refusal));
    }
  });
