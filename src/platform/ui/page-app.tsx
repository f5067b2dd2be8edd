/**
 * The admin pages' own stack. Pages sit beside the JSON API in one Worker
 * but answer differently: HTML error pages instead of JSON, a session from
 * the cookie only, a CSRF token on every form, and a strict CSP. So their
 * middleware is registered on the paths the pages own (each feature says
 * which), never on /api/*.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { html } from 'hono/html';
import type { Child } from 'hono/jsx';
import { secureHeaders } from 'hono/secure-headers';
import type { Env } from '../env';
import { AppError, notFound } from '../errors';
import { limitBody } from '../http/body-limit';
import { statusOf, toAppError } from '../http/errors';
import { errorMessage } from '../log/logger';
import { loadTenantContext } from '../tenancy/resolve-tenant';
import { takeFlash, type Flash } from './flash';
import { csrfProtection } from './form-csrf';
import type { PageStatus } from './form';
import { Layout, type LayoutProps } from './layout';
import type { LoadViewer, NavTab, PageEnv, TenantPageEnv } from './page-env';
import { currentPath, pageSession, requireSignedIn, signInPath } from './page-session';
import { FAVICON, FAVICON_PATH, STYLESHEET, STYLESHEET_PATH } from './styles';

/** Tenant pages live under /t/:tenant (the pattern matches /t/:tenant itself); the platform mounts them, so it owns the path. Named, so the session finds the membership with the caller. */
const TENANT_PAGE_PATHS = ['/t/:tenant/*'];
/** Static files: security headers only (no session, no cookies: they are cached publicly). */
const ASSET_PATHS = '/assets/*';

const PAGE_BODY_LIMIT_BYTES = 16 * 1024;

/** Where a page's form may send the browser besides this site (a feature's `formTargets`: Stripe's Checkout). */
export type FormTarget = (env: Env) => string;

function pageSecureHeaders(formTargets: readonly FormTarget[]) {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      // Chromium applies form-action to the redirect after a POST too: checkout and the portal are elsewhere.
      formAction: ["'self'", ...formTargets.map((target) => (c: Context) => target(c.env))],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: 'DENY',
    // Same-origin form posts keep their Origin header (with no-referrer, browsers send `Origin: null`).
    referrerPolicy: 'same-origin',
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
  });
}

/** HTML pages carry per-user data and CSRF tokens: never stored by a cache. */
function noStore(): MiddlewareHandler<PageEnv> {
  return async function noStoreMiddleware(c, next) {
    await next();
    if (c.res.headers.get('Content-Type')?.startsWith('text/html')) c.header('Cache-Control', 'no-store');
  };
}

export interface PageOptions {
  title: string;
  /** The organisation tab the page belongs to. */
  tab?: NavTab;
  status?: PageStatus;
  /** Reload the page, or go to `url`, after `seconds` (meta refresh: no script needed). */
  refresh?: { seconds: number; url?: string };
  narrow?: boolean;
  /** Shown in the flash slot instead of a flash from the previous request: a refusal re-rendered with the input kept. */
  flash?: Flash;
}

/** Renders a page inside the layout: the viewer, the organisation's tabs, the flash (taken once). */
export async function renderPage<E extends PageEnv>(c: Context<E>, options: PageOptions, body: Child): Promise<Response> {
  const props: LayoutProps = {
    title: options.title,
    csrf: c.get('csrfToken'),
    viewer: await c.get('viewer')(),
    tenant: c.get('currentTenant'),
    tabs: c.get('tabs'),
    tab: options.tab,
    flash: options.flash ?? (await takeFlash(c)),
    refresh: options.refresh,
    narrow: options.narrow,
  };
  return c.html(html`<!doctype html>${(<Layout {...props}>{body}</Layout>)}`, options.status ?? 200);
}

const ERROR_TITLES: Partial<Record<AppError['code'], string>> = {
  not_found: 'Page not found',
  forbidden: 'Not allowed',
  payload_too_large: 'Too much data',
  rate_limited: 'Slow down',
  internal: 'Something went wrong',
  unavailable: 'Temporarily unavailable',
};

/**
 * Errors as pages. A signed-out GET goes to sign in and back; a cross-site
 * form post is refused; anything else is a page with the error's status.
 */
async function renderError(err: Error, c: Context<PageEnv>): Promise<Response> {
  const appError = err instanceof HTTPException && err.status === 403 ? new AppError('forbidden', 'This request did not come from this site, so it was refused.') : toAppError(err);
  if (appError.code === 'unauthenticated' && c.req.method === 'GET') return c.redirect(signInPath(currentPath(c)), 303);
  // The organisation requires 2FA and this member has none: enrol first, then come back.
  if (appError.code === 'mfa_required' && c.req.method === 'GET') return c.redirect(`/account/two-factor?${new URLSearchParams({ next: currentPath(c) })}`, 303);
  if (appError.code === 'internal') c.get('log').error('unhandled', { error: errorMessage(err), stack: err.stack });
  const message = appError.code === 'not_found' ? 'There is nothing here, or you do not have access to it.' : appError.message;
  // The error may come before the session or CSRF middleware ran (an oversized body): render without them.
  if (typeof c.get('viewer') !== 'function') c.set('viewer', async () => null);
  if (typeof c.get('csrfToken') !== 'string') c.set('csrfToken', '');
  return renderPage(
    c,
    { title: ERROR_TITLES[appError.code] ?? 'Request refused', status: statusOf(appError) },
    <div class="card">
      <h1>{ERROR_TITLES[appError.code] ?? 'Request refused'}</h1>
      <p>{message}</p>
      {appError.code === 'forbidden' && c.get('currentTenant') && <p>Ask an owner or admin of this organisation if you need access.</p>}
      {appError.code === 'internal' && <p class="muted">Reference: {c.get('requestId')}</p>}
      <p>
        <a href="/">Go to your dashboard</a>
      </p>
    </div>,
  );
}

export interface PageAppOptions {
  loadViewer: LoadViewer;
  /** Path patterns the features' pages answer (page middleware runs there and nowhere else). */
  ownedPaths: readonly string[];
  tabs: readonly NavTab[];
  formTargets: readonly FormTarget[];
}

/**
 * The app for all pages: security headers, body limit, session, CSRF and
 * HTML errors on the pages' paths, and the stylesheet. Feature pages are routed into it.
 */
export function createPageApp(options: PageAppOptions): Hono<PageEnv> {
  const pages = new Hono<PageEnv>();
  pages.onError(renderError);
  const headers = pageSecureHeaders(options.formTargets);
  const tabs: MiddlewareHandler<PageEnv> = async function navigationMiddleware(c, next) {
    c.set('tabs', options.tabs);
    await next();
  };
  for (const path of [...options.ownedPaths, ...TENANT_PAGE_PATHS]) {
    pages.use(path, tabs, headers, noStore(), limitBody(PAGE_BODY_LIMIT_BYTES), pageSession(options.loadViewer), csrfProtection());
  }
  pages.use(ASSET_PATHS, headers);
  const immutable = 'public, max-age=31536000, immutable';
  pages.get(STYLESHEET_PATH, (c) => c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': immutable }));
  pages.get(FAVICON_PATH, (c) => c.body(FAVICON, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': immutable }));
  // Any other asset (an old hash, a probe) is the pages' 404, with their headers, not the API's JSON one.
  pages.all(ASSET_PATHS, () => {
    throw notFound('Asset');
  });
  return pages;
}

/**
 * Pages under /t/:tenant: signed in (else to sign in and back), then a
 * member (else 404, as the API), with the same tenant-bound context.
 */
export function createTenantPageApp(): Hono<TenantPageEnv> {
  const resolveTenantPage: MiddlewareHandler<TenantPageEnv> = async function resolveTenantPageMiddleware(c, next) {
    const ctx = loadTenantContext(c);
    c.set('tenantCtx', ctx);
    c.set('tenantId', ctx.tenant.id);
    c.set('currentTenant', { slug: ctx.tenant.slug, name: ctx.tenant.name, role: ctx.role });
    await next();
  };
  return new Hono<TenantPageEnv>().use(requireSignedIn(), resolveTenantPage);
}
