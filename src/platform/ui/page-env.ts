import type { ServiceContext, TenantContext } from '../context';
import type { Role } from '../db/schema';
import type { AppVariables, Env } from '../env';
import type { Permission } from '../tenancy/policy';

/** The signed-in person as the page chrome shows them: who they are and their organisations (the switcher). */
export interface Viewer {
  user: { id: string; email: string; name: string; emailVerified: boolean; mfaEnabled: boolean };
  memberships: { tenant: { id: string; slug: string; name: string }; role: Role }[];
}

export type LoadViewer = (ctx: ServiceContext, userId: string) => Promise<Viewer>;

/** A feature's tab in an organisation's navigation, shown to roles that hold `permission`. */
export interface NavTab {
  label: string;
  /** Under /t/:tenant; '' for the organisation's own page. */
  path: string;
  permission: Permission;
}

/** The organisation a page is about, as the chrome shows it (title, switcher, tabs). */
export interface CurrentTenant {
  slug: string;
  name: string;
  role: Role;
}

/** Set by the page middleware only (platform/ui/page-app.tsx). */
export interface PageVariables extends AppVariables {
  /** The CSRF token for the forms this request renders (see form-csrf.ts). */
  csrfToken: string;
  /** Loads the viewer once per request, when a page is actually rendered; null when signed out. */
  viewer: () => Promise<Viewer | null>;
  /** Every feature's tab, in the composition root's order. */
  tabs: readonly NavTab[];
  /** Under /t/:tenant, the organisation for the chrome; the error page shows its tabs too. */
  currentTenant?: CurrentTenant;
}

/** Pages outside an organisation (sign-in, invitations): no `tenantCtx`. */
export type PageEnv = { Bindings: Env; Variables: PageVariables };

/** Pages under /t/:tenant: signed in, a member, with the tenant-bound context. */
export type TenantPageEnv = { Bindings: Env; Variables: PageVariables & { tenantCtx: TenantContext } };
