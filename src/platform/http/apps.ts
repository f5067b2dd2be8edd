/**
 * The kinds of sub-app a feature builds, each with its own typed env
 * (Hono's `createFactory`): only a tenant app's handlers can read
 * `c.get('tenantCtx')`, and only page apps have the page variables.
 */
import { createFactory } from 'hono/factory';
import type { AppEnv, TenantEnv } from '../env';
import type { PageEnv, TenantPageEnv } from '../ui/page-env';

const appFactory = createFactory<AppEnv>();
const tenantFactory = createFactory<TenantEnv>();
const pageFactory = createFactory<PageEnv>();
const tenantPageFactory = createFactory<TenantPageEnv>();

/** Routes before any tenant is known: health, webhooks, operators, sign-up. */
export const publicApp = () => appFactory.createApp();
/** Routes under /api/t/:tenant. */
export const tenantApp = () => tenantFactory.createApp();
/** Pages outside an organisation. */
export const pageApp = () => pageFactory.createApp();
/** Pages under /t/:tenant. */
export const tenantPageApp = () => tenantPageFactory.createApp();
