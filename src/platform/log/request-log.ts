import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AppEnv } from '../env';

export interface RequestLogLine {
  level: 'info' | 'warn' | 'error';
  msg: 'request';
  requestId: string;
  method: string;
  route: string;
  path: string;
  status: number;
  durationMs: number;
  tenantId: string | null;
  userId: string | null;
  apiKeyId: string | null;
  error?: string;
}

export type LogSink = (line: RequestLogLine) => void;

const consoleSink: LogSink = (line) => console.log(JSON.stringify(line));

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
 * One structured JSON line per request, written after the response is known,
 * so it carries the status, the matched route and whoever was resolved on the way.
 */
export function requestLog(sink: LogSink = consoleSink): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = Date.now();
    await next();
    const principal = c.get('principal');
    const tenantCtx = c.get('tenantCtx') as AppEnv['Variables']['tenantCtx'] | undefined;
    const status = c.res.status;
    const route = routePath(c, -1);
    sink({
      level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
      msg: 'request',
      requestId: c.get('requestId'),
      method: c.req.method,
      route,
      path: redactPath(c.req.path, route),
      status,
      durationMs: Date.now() - started,
      tenantId: tenantCtx?.tenant.id ?? null,
      userId: principal?.userId ?? null,
      apiKeyId: principal?.type === 'api_key' ? principal.apiKeyId : null,
      ...(c.error ? { error: c.error.message } : {}),
    });
  };
}
