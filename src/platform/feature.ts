/**
 * What a feature contributes, through one entry (`src/features/<name>/index.ts`)
 * that the composition root (`src/app.ts`) lists. The platform reads these and
 * knows no feature by name: adding one is its folder plus one line in that list.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import type { CredentialResolver } from './auth/middleware';
import type { ServiceContext } from './context';
import type { AppEnv, Env, TenantEnv } from './env';
import type { Logger } from './log/logger';
import type { Permission } from './tenancy/policy';
import type { FormTarget } from './ui/page-app';
import type { NavTab, PageEnv, TenantPageEnv } from './ui/page-env';

/** A sub-app and where it is mounted. */
export interface Mount<E extends AppEnv> {
  path: string;
  // The mounted app's own route schema is no business of the composition root.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  app: Hono<E, any, any>;
}

/** Pages outside an organisation, and the path patterns they answer, where the page middleware runs. */
export interface PageMount extends Mount<PageEnv> {
  owns: readonly string[];
}

/** Consumes the batches of the queues it accepts (queue names differ per environment). */
export interface QueueConsumer {
  accepts(queue: string, env: Env): boolean;
  consume(batch: MessageBatch<unknown>, env: Env, log: Logger): Promise<void>;
}

/** Work on every cron tick. Returns what it did, for the tick's log line. */
export interface ScheduledJob<Report extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  run(ctx: ServiceContext, now: number): Promise<Report>;
}

export interface Feature {
  /** Its folder's name. */
  name: string;
  /** Routes outside /api: health, webhooks, operators. */
  routes?: readonly Mount<AppEnv>[];
  /** JSON API under /api, before any tenant is known (sign-up, accepting an invitation). */
  api?: readonly Mount<AppEnv>[];
  /** JSON API under /api/t/:tenant: member or 404, `c.get('tenantCtx')` set; every route declares its permission. */
  tenantApi?: readonly Mount<TenantEnv>[];
  /** Middleware for every /api route, once the caller is known (rate limits). */
  apiMiddleware?: readonly MiddlewareHandler<AppEnv>[];
  /** Middleware for every route under /api/t/:tenant, once the tenant is known (rate limits). */
  tenantApiMiddleware?: readonly MiddlewareHandler<TenantEnv>[];
  /** Pages outside an organisation. */
  pages?: readonly PageMount[];
  /** Pages under /t/:tenant, behind sign-in and membership. */
  tenantPages?: readonly Mount<TenantPageEnv>[];
  /** Its tab in the organisation's navigation; tabs appear in the composition root's order. */
  tab?: NavTab;
  /** The permissions it defines (its `permissions.ts`): the role matrix is all features' lists. */
  permissions?: readonly Permission[];
  /** Ways to authenticate an API request besides a session (API keys). */
  credentials?: readonly CredentialResolver[];
  /** Where its forms send the browser besides this site (the pages' CSP `form-action`). */
  formTargets?: readonly FormTarget[];
  queues?: readonly QueueConsumer[];
  jobs?: readonly ScheduledJob[];
}

/**
 * A feature that is one section of an organisation, under one name: its API
 * at /api/t/:tenant/<name>, its pages at /t/:tenant/<name>, its tab.
 */
export function tenantSection(
  name: string,
  section: { api: Mount<TenantEnv>['app']; pages: Mount<TenantPageEnv>['app']; tab: NavTab; permissions: Record<string, Permission> },
  more: Omit<Feature, 'name' | 'tenantApi' | 'tenantPages' | 'tab' | 'permissions'> = {},
): Feature {
  return {
    name,
    tenantApi: [{ path: `/${name}`, app: section.api }],
    tenantPages: [{ path: `/${name}`, app: section.pages }],
    tab: section.tab,
    permissions: Object.values(section.permissions),
    ...more,
  };
}
