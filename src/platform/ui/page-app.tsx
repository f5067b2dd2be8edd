/**
 * The admin pages' own stack. Pages sit beside the JSON API in one Worker
 * but answer differently: HTML error pages instead of JSON, a session from
 * the cookie only, a CSRF token on every form, and a strict CSP. So their
 * middleware is registered on page paths only, never on /api/*.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { html } from 'hono/html';
import type { Child } from 'hono/jsx';
import { secureHeaders } from 'hono/secure-headers';
import type { Env } from '../env';
import { limitBody } from '../http/body-limit';
import { AppError, toAppError } from '../http/errors';
import { resolveTenant } from '../tenancy/middleware';
import { csrfProtection } from './csrf';
import { takeFlash, type Flash } from './flash';
import { Layout, type LayoutProps, type Tab } from './layout';
import type { LoadViewer, PageEnv } from './page-env';
import { currentPath, pageSession, requireSignedIn, signInPath } from './session';
import { FAVICON, FAVICON_PATH, STYLESHEET, STYLESHEET_PATH } from './styles';

/** Every path the pages own. Page middleware runs on these and nowhere else. */
export const PAGE_PATHS = ['/', '/signin', '/signup', '/signout', '/tenants/*', '/invitations/*', '/t/*', '/dev/*'] as const;
/** Static files: security headers only (no session, no cookies: they are cached publicly). */
export const ASSET_PATHS = '/assets/*';

export const PAGE_BODY_LIMIT_BYTES = 16 * 1024;

/** Where the browser may be sent by a form: this site, and Stripe's hosted Checkout and portal (or the local emulator). */
export function stripeFormTargets(env: Pick<Env, 'STRIPE_API_HOST' | 'STRIPE_API_PORT' | 'STRIPE_API_PROTOCOL'>): string {
  if (!env.STRIPE_API_HOST) return 'https://checkout.stripe.com https://billing.stripe.com';
  const port = env.STRIPE_API_PORT ? `:${env.STRIPE_API_PORT}` : '';
  return `${env.STRIPE_API_PROTOCOL ?? 'https'}://${env.STRIPE_API_HOST}${port}`;
}

function pageSecureHeaders() {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      // Chromium applies form-action to the redirect after a POST too: checkout and the portal are on Stripe.
      formAction: ["'self'", (c) => stripeFormTargets((c as Context<PageEnv>).env)],
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
  tab?: Tab;
  status?: 200 | 400 | 401 | 402 | 403 | 404 | 409 | 413 | 429 | 500 | 503;
  /** Reload the page, or go to `url`, after `seconds` (meta refresh: no script needed). */
  refresh?: { seconds: number; url?: string };
  narrow?: boolean;
  /** Shown in the flash slot instead of a flash from the previous request: a refusal re-rendered with the input kept. */
  flash?: Flash;
}

/** Renders a page inside the layout: the viewer, the organisation's tabs, the flash (taken once). */
export async function renderPage(c: Context<PageEnv>, options: PageOptions, body: Child): Promise<Response> {
  const viewer = await c.var.viewer();
  const ctx = c.get('tenantCtx') as PageEnv['Variables']['tenantCtx'] | undefined;
  const props: LayoutProps = {
    title: options.title,
    csrf: c.var.csrfToken,
    viewer,
    tenant: ctx ? { slug: ctx.tenant.slug, name: ctx.tenant.name, role: ctx.role } : undefined,
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
  if (appError.code === 'internal') {
    console.error(JSON.stringify({ level: 'error', msg: 'unhandled', requestId: c.get('requestId'), error: String(err), stack: err.stack }));
  }
  const message = appError.code === 'not_found' ? 'There is nothing here, or you do not have access to it.' : appError.message;
  // The error may come before the session or CSRF middleware ran (an oversized body): render without them.
  if (typeof c.var.viewer !== 'function') c.set('viewer', async () => null);
  if (typeof c.var.csrfToken !== 'string') c.set('csrfToken', '');
  return renderPage(
    c,
    { title: ERROR_TITLES[appError.code] ?? 'Request refused', status: appError.status as PageOptions['status'] },
    <div class="card">
      <h1>{ERROR_TITLES[appError.code] ?? 'Request refused'}</h1>
      <p>{message}</p>
      {appError.code === 'forbidden' && c.get('tenantCtx') && <p>Ask an owner or admin of this organisation if you need access.</p>}
      {appError.code === 'internal' && <p class="muted">Reference: {c.get('requestId')}</p>}
      <p>
        <a href="/">Go to your dashboard</a>
      </p>
    </div>,
  );
}

/**
 * The app for all pages: security headers, body limit, session, CSRF and
 * HTML errors on PAGE_PATHS, and the stylesheet. Feature pages are routed into it.
 */
export function createPageApp(options: { loadViewer: LoadViewer }): Hono<PageEnv> {
  const pages = new Hono<PageEnv>();
  pages.onError(renderError);
  for (const path of PAGE_PATHS) {
    pages.use(path, pageSecureHeaders(), noStore(), limitBody(PAGE_BODY_LIMIT_BYTES), pageSession(options.loadViewer), csrfProtection());
  }
  pages.use(ASSET_PATHS, pageSecureHeaders());
  const immutable = 'public, max-age=31536000, immutable';
  pages.get(STYLESHEET_PATH, (c) => c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': immutable }));
  pages.get(FAVICON_PATH, (c) => c.body(FAVICON, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': immutable }));
  return pages;
}

/**
 * Pages under /t/:tenant: signed in (else to sign in and back), then a
 * member (else 404, as the API), with the same tenant-bound context.
 */
export function createTenantPageApp(): Hono<PageEnv> {
  return new Hono<PageEnv>().use('*', requireSignedIn(), resolveTenant());
}
