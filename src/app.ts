import { Hono } from 'hono';
import { apiKeyPages } from './features/api-keys/pages';
import { apiKeyRoutes } from './features/api-keys/routes';
import { apiKeyResolver } from './features/api-keys/service';
import { auditLogPages } from './features/audit-log/pages';
import { auditLogRoutes } from './features/audit-log/routes';
import { authPages } from './features/auth/pages';
import { authRoutes } from './features/auth/routes';
import { describeMe } from './features/auth/service';
import { billingPages } from './features/billing/pages';
import { billingRoutes } from './features/billing/routes';
import { stripeWebhookRoutes } from './features/billing/webhook-routes';
import { devMailboxPages } from './features/dev-mailbox/pages';
import { healthRoutes } from './features/health/routes';
import { invitationPages } from './features/invitations/pages';
import { invitationAcceptRoutes, invitationRoutes } from './features/invitations/routes';
import { memberPages } from './features/members/pages';
import { memberRoutes } from './features/members/routes';
import { opsRoutes } from './features/ops/routes';
import { projectPages } from './features/projects/pages';
import { projectRoutes } from './features/projects/routes';
import { startPages, tenantPages } from './features/tenants/pages';
import { tenantCreationRoutes, tenantRoutes } from './features/tenants/routes';
import { authenticate } from './platform/auth/middleware';
import type { AppEnv } from './platform/env';
import { limitBody } from './platform/http/body-limit';
import { refuseCrossSiteCookieRequests } from './platform/http/csrf';
import { notFound, toAppError, toErrorResponse } from './platform/http/errors';
import { serverRequestId } from './platform/http/request-id';
import { requestLog, type LogSink } from './platform/log/request-log';
import { resolveTenant } from './platform/tenancy/middleware';
import { createPageApp, createTenantPageApp } from './platform/ui/page-app';

export const API_BODY_LIMIT_BYTES = 64 * 1024;

export interface AppOptions {
  logSink?: LogSink;
}

/**
 * The whole HTTP surface. Middleware order is the contract's check order:
 * request id and logging first, then body size, then who is calling (401),
 * then tenant membership (404); each route then checks its permission (403)
 * and validates its input (400).
 */
export function createApp(options: AppOptions = {}) {
  const app = new Hono<AppEnv>();

  app.use(serverRequestId());
  app.use(requestLog(options.logSink));

  app.use('/api/*', limitBody(API_BODY_LIMIT_BYTES));
  app.use('/api/*', refuseCrossSiteCookieRequests());
  app.use('/api/*', authenticate([apiKeyResolver]));
  app.use('/api/t/:tenant', resolveTenant());
  app.use('/api/t/:tenant/*', resolveTenant());

  app.route('/', healthRoutes);
  app.route('/webhooks', stripeWebhookRoutes);
  app.route('/ops', opsRoutes);
  app.route('/api', authRoutes);
  app.route('/api/tenants', tenantCreationRoutes);
  app.route('/api/invitations', invitationAcceptRoutes);
  app.route('/api/t/:tenant', tenantRoutes);
  app.route('/api/t/:tenant/projects', projectRoutes);
  app.route('/api/t/:tenant/members', memberRoutes);
  app.route('/api/t/:tenant/invitations', invitationRoutes);
  app.route('/api/t/:tenant/api-keys', apiKeyRoutes);
  app.route('/api/t/:tenant/audit-log', auditLogRoutes);
  app.route('/api/t/:tenant/billing', billingRoutes);

  // Admin pages (HTML). Their middleware (secure headers, cookie session, CSRF)
  // and HTML error pages are registered on page paths only: see platform/ui/page-app.tsx.
  const orgPages = createTenantPageApp()
    .route('/', tenantPages)
    .route('/projects', projectPages)
    .route('/members', memberPages)
    .route('/billing', billingPages)
    .route('/audit-log', auditLogPages)
    .route('/api-keys', apiKeyPages);
  const pages = createPageApp({ loadViewer: describeMe })
    .route('/', authPages)
    .route('/', startPages)
    .route('/invitations', invitationPages)
    .route('/dev/mailbox', devMailboxPages)
    .route('/t/:tenant', orgPages);
  app.route('/', pages);

  app.notFound(() => {
    throw notFound('Route');
  });
  app.onError((err, c) => {
    const appError = toAppError(err);
    if (appError.code === 'internal') {
      console.error(JSON.stringify({ level: 'error', msg: 'unhandled', requestId: c.get('requestId'), error: String(err), stack: err instanceof Error ? err.stack : undefined }));
    }
    return toErrorResponse(c, appError);
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
