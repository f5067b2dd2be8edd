import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AppEnv } from '../env';
import { instrumentEnv } from '../observe/instrument';
import { traceparentOf } from '../observe/trace';
import { runAsUnit, UnitOfWork, type PrincipalType } from '../observe/usage';
import { finishUnit } from '../observe/wide-event';
import { createLogger, type LogSink } from './logger';

/** Route params whose values are credentials (an invitation's token): logged by name, never by value. */
const SECRET_PARAMS = new Set(['token']);
/** A route pattern that names a secret param: only those paths need taking apart. */
const NAMES_SECRET = new RegExp(`:(${[...SECRET_PARAMS].join('|')})\\b`);

/**
 * The path with every secret param's segment replaced by the param's name,
 * read off the matched route's pattern: `/api/invitations/:token/accept`
 * logs as itself, never with the token in it.
 */
export function redactPath(path: string, routePattern: string): string {
  if (!NAMES_SECRET.test(routePattern)) return path;
  const segments = path.split('/');
  for (const [i, part] of routePattern.split('/').entries()) {
    // Past a wildcard, pattern and path segments no longer line up.
    if (part.includes('*') || i >= segments.length) break;
    const param = /^:(\w+)/.exec(part)?.[1];
    if (param && SECRET_PARAMS.has(param)) segments[i] = `:${param}`;
  }
  return segments.join('/');
}

/** Who the request was for, as its wide event names it; routes for operators and Stripe say so themselves (`actAs`). */
function principalOf(c: Context<AppEnv>, unit: UnitOfWork): PrincipalType {
  if (unit.principal !== 'anonymous') return unit.principal;
  return c.get('principal')?.type ?? 'anonymous';
}

/**
 * The request as a unit of work (platform/observe): its span of the caller's
 * `traceparent` (or a new trace), sent back as `traceparent`; its logger
 * (`c.get('log')`, bound to the request and trace ids); its bindings
 * instrumented, so every D1 statement, object call and queue send it makes
 * is counted. When the response is known it writes the one `request` wide
 * event (status, route pattern, whoever was resolved, usage) and meters the
 * usage for the tenant in waitUntil.
 */
export function requestLog(sink?: LogSink): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const unit = new UnitOfWork('request', c.get('requestId'), { traceparent: c.req.header('traceparent'), principal: 'anonymous' });
    const log = createLogger(sink, { requestId: c.get('requestId'), traceId: unit.trace.traceId, spanId: unit.trace.spanId });
    c.set('log', log);
    c.env = instrumentEnv(c.env);
    c.header('traceparent', traceparentOf(unit.trace));
    await runAsUnit(unit, next);
    const principal = c.get('principal');
    const route = routePath(c, -1);
    const tenantId = c.get('tenantId');
    if (tenantId) unit.tenantId = tenantId;
    unit.principal = principalOf(c, unit);
    finishUnit(
      unit,
      {
        route,
        method: c.req.method,
        status: c.res.status,
        error: c.error,
        extra: {
          path: redactPath(c.req.path, route),
          userId: principal?.userId ?? null,
          apiKeyId: principal?.type === 'api_key' ? principal.apiKeyId : null,
        },
      },
      { env: c.env, log, waitUntil: (work) => waitUntilOf(c, work) },
    );
  };
}

/** The request's waitUntil; a test calling `app.request` without an execution context just lets the work run. */
function waitUntilOf(c: Context<AppEnv>, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    void work;
  }
}
