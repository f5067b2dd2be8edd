/** An organisation's own page: its plan, seats and projects at a glance, and what to do next. */
import type { FC } from 'hono/jsx';
import { tenantPageApp } from '../../platform/http/apps';
import { requirePermission } from '../../platform/tenancy/guard';
import { can } from '../../platform/tenancy/policy';
import { ROLE_LABELS } from '../../platform/ui/layout';
import { renderPage } from '../../platform/ui/page-app';
import type { NavTab } from '../../platform/ui/page-env';
import { tenantPath } from '../../platform/ui/paths';
import { apiKeyPermissions } from '../api-keys/permissions';
import { billingPermissions } from '../billing/permissions';
import { PLAN_TABLE } from '../billing/plans';
import { getBillingSummary } from '../billing/summary';
import { memberPermissions } from '../members/permissions';
import { listMembers } from '../members/service';
import { projectPermissions } from '../projects/permissions';
import { listProjects } from '../projects/service';
import { tenantPermissions } from '../tenants/permissions';

export const dashboardTab: NavTab = { label: 'Dashboard', path: '', permission: tenantPermissions.read };

const Stat: FC<{ label: string; value: string; detail?: string; children?: unknown }> = (p) => (
  <section class="stat" aria-label={p.label}>
    <h2>{p.label}</h2>
    <p class="value">{p.value}</p>
    {p.detail && <p class="muted">{p.detail}</p>}
    {p.children}
  </section>
);

/** Mounted at /t/:tenant. */
export const dashboardPages = tenantPageApp().get('/', requirePermission(tenantPermissions.read), async (c) => {
  const ctx = c.get('tenantCtx');
  const billing = can(ctx.role, billingPermissions.read) ? await getBillingSummary(ctx) : null;
  const projectCount = billing ? billing.usage.projects : (await listProjects(ctx)).length;
  const memberCount = can(ctx.role, memberPermissions.read) ? (await listMembers(ctx)).length : null;
  const billingPage = tenantPath(ctx.tenant, 'billing');
  const membersPage = tenantPath(ctx.tenant, 'members');
  const projectsPage = tenantPath(ctx.tenant, 'projects');
  return renderPage(
    c,
    { title: 'Dashboard', tab: dashboardTab },
    <>
      <div class="page-head">
        <h1>{ctx.tenant.name}</h1>
        <p class="muted">You are {ROLE_LABELS[ctx.role].toLowerCase()} here.</p>
      </div>
      {billing?.pastDue && (
        <div class="banner banner-warn" role="alert">
          <p>
            Your last payment failed. <a href={billingPage}>Update your billing details</a> to keep your plan.
          </p>
        </div>
      )}
      <div class="grid">
        {billing && (
          <Stat label="Plan" value={PLAN_TABLE[billing.plan].label} detail={`Status: ${billing.status === 'none' ? 'no subscription' : billing.status}`}>
            <a href={billingPage}>Billing</a>
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
          <a href={projectsPage}>Projects</a>
        </Stat>
        {!billing && memberCount !== null && (
          <Stat label="Members" value={String(memberCount)}>
            <a href={membersPage}>Members</a>
          </Stat>
        )}
      </div>
      <section class="card" aria-labelledby="next-heading">
        <h2 id="next-heading">Get going</h2>
        <ul>
          {can(ctx.role, projectPermissions.write) && (
            <li>
              <a href={projectsPage}>Create a project</a>
            </li>
          )}
          {can(ctx.role, memberPermissions.invite) && memberCount !== null && (
            <li>
              <a href={membersPage}>Invite your team</a> ({memberCount} {memberCount === 1 ? 'member' : 'members'} so far)
            </li>
          )}
          {can(ctx.role, billingPermissions.manage) && billing?.plan === 'free' && (
            <li>
              <a href={billingPage}>Upgrade to Pro</a> for more seats and projects
            </li>
          )}
          {can(ctx.role, apiKeyPermissions.manage) && (
            <li>
              <a href={tenantPath(ctx.tenant, 'api-keys')}>Create an API key</a> for scripts and integrations
            </li>
          )}
        </ul>
      </section>
    </>,
  );
});
