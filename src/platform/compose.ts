/**
 * Builds the Worker's HTTP surface from the feature list. Middleware order
 * is the contract's check order: request id and logging first, then body
 * size, then who is calling (401), then tenant membership (404); each route
 * then checks its permission (403) and validates its input (400).
 */
import { Hono } from 'hono';
import { authenticate } from './auth/middleware';
import { d1Session } from './db/d1-session';
import type { AppEnv } from './env';
import { notFound } from './errors';
import type { Feature } from './feature';
import { apiReferenceRoutes } from './http/api-reference';
import { limitBody } from './http/body-limit';
import { toAppError, toErrorResponse } from './http/errors';
import { refuseCrossSiteCookieRequests } from './http/refuse-cross-site';
import { openApiDocument, type OpenApiDocument } from './http/openapi';
import { serverRequestId } from './http/request-id';
import { withDoc } from './http/route-doc';
import { secureDefaults } from './http/secure-defaults';
import { errorMessage, type LogSink } from './log/logger';
import { requestLog } from './log/request-log';
import { resolveTenant } from './tenancy/resolve-tenant';
import { createPageApp, createTenantPageApp } from './ui/page-app';
import type { LoadViewer } from './ui/page-env';

export const API_BODY_LIMIT_BYTES = 64 * 1024;
const TENANT_API = '/api/t/:tenant';
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];
export const API_VERSION = '1.0.0';

export interface ComposeOptions {
  /** Who the page chrome shows as signed in (the user and their organisations). */
  loadViewer: LoadViewer;
  /** Where log lines go; the console unless a test collects them. */
  logSink?: LogSink;
}

export function composeApp(features: readonly Feature[], options: ComposeOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const all = <T>(pick: (feature: Feature) => readonly T[] | undefined): T[] => features.flatMap((feature) => pick(feature) ?? []);

  app.use(serverRequestId());
  app.use(secureDefaults());
  app.use(requestLog(options.logSink));
  app.use(d1Session());

  // Each piece says which statuses it adds to the routes it covers (the OpenAPI document reads them).
  app.use('/api/*', withDoc(limitBody(API_BODY_LIMIT_BYTES), { errors: [413], methods: WRITES }));
  app.use('/api/*', withDoc(refuseCrossSiteCookieRequests(), { errors: [403], methods: WRITES }));
  // Tenant paths first (the pattern matches /api/t/:tenant itself), where `:tenant` is known:
  // who is calling and their membership, in one statement. Elsewhere, who is calling.
  const identify = withDoc(authenticate(all((f) => f.credentials)), { errors: [401] });
  app.use(`${TENANT_API}/*`, identify);
  app.use('/api/*', identify);
  app.use(TENANT_API, withDoc(resolveTenant(), { errors: [404] }));
  app.use(`${TENANT_API}/*`, withDoc(resolveTenant(), { errors: [404] }));
  for (const middleware of all((f) => f.apiMiddleware)) app.use('/api/*', middleware);
  // Once, on the pattern that also matches /api/t/:tenant itself: a rate limit mounted twice would count twice.
  for (const middleware of all((f) => f.tenantApiMiddleware)) app.use(`${TENANT_API}/*`, middleware);

  // The document covers every route registered before the pages: built on first request, from the route table.
  let document: OpenApiDocument | undefined;
  let apiRouteCount = 0;
  app.route('/api', apiReferenceRoutes(() => (document ??= openApiDocument(app.routes.slice(0, apiRouteCount), { version: API_VERSION }))));
  for (const mount of all((f) => f.routes)) app.route(mount.path, mount.app);
  for (const mount of all((f) => f.api)) app.route(`/api${mount.path === '/' ? '' : mount.path}`, mount.app);
  for (const mount of all((f) => f.tenantApi)) app.route(`${TENANT_API}${mount.path === '/' ? '' : mount.path}`, mount.app);
  apiRouteCount = app.routes.length;

  // Admin pages (HTML): their own middleware and HTML errors, on page paths only (platform/ui/page-app.tsx).
  const tenantPages = createTenantPageApp();
  for (const mount of all((f) => f.tenantPages)) tenantPages.route(mount.path, mount.app);
  const pages = createPageApp({
    loadViewer: options.loadViewer,
    ownedPaths: all((f) => f.pages).flatMap((mount) => mount.owns),
    tabs: all((f) => (f.tab ? [f.tab] : [])),
    formTargets: all((f) => f.formTargets),
  });
  for (const mount of all((f) => f.pages)) pages.route(mount.path, mount.app);
  pages.route('/t/:tenant', tenantPages);
  app.route('/', pages);

  app.notFound(() => {
    throw notFound('Route');
  });
  app.onError((err, c) => {
    const appError = toAppError(err);
    if (appError.code === 'internal') c.get('log').error('unhandled', { error: errorMessage(err), stack: err instanceof Error ? err.stack : undefined });
    return toErrorResponse(c, appError);
  });
  return app;
}
