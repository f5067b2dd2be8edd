import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AppEnv } from '../env';
import { createLogger, type LogSink } from './logger';

/** Route params whose values are credentials (an invitation's token): logged by name, never by value. */
const SECRET_PARAMS = new Set(['token']);

/**
 * The path with every secret param's segment replaced by the param's name,
 * read off the matched route's pattern: `/api/invitations/:token/accept`
 * logs as itself, never with the token in it.
 */
export function redactPath(path: string, routePattern: string): string {
  const segments = path.split('/');
  for (const [i, part] of routePattern.split('/').entries()) {
    // Past a wildcard, pattern and path segments no longer line up.
    if (part.includes('*') || i >= segments.length) break;
    const param = /^:(\w+)/.exec(part)?.[1];
    if (param && SECRET_PARAMS.has(param)) segments[i] = `:${param}`;
  }
  return segments.join('/');
}

/**
 * Gives the request its logger (`c.var.log`, bound to the request id), and
 * writes one `request` line after the response is known, so it carries the
 * status, the matched route and whoever was resolved on the way.
 */
export function requestLog(sink?: LogSink): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = Date.now();
    const log = createLogger(sink, { requestId: c.var.requestId });
    c.set('log', log);
    await next();
    const principal = c.var.principal;
    const status = c.res.status;
    const route = routePath(c, -1);
    const fields = {
      method: c.req.method,
      route,
      path: redactPath(c.req.path, route),
      status,
      durationMs: Date.now() - started,
      tenantId: c.var.tenantId ?? null,
      userId: principal?.userId ?? null,
      apiKeyId: principal?.type === 'api_key' ? principal.apiKeyId : null,
      ...(c.error ? { error: c.error.message } : {}),
    };
    if (status >= 500) log.error('request', fields);
    else if (status >= 400) log.warn('request', fields);
    else log.info('request', fields);
  };
}
