/** The small HTTP vocabulary shared by the API, the pages and the controls. */

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof value === 'string' ? value : JSON.stringify(value, null, 2),
  };
}

export function html(status: number, markup: string): Reply {
  return { status, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: markup };
}

export function redirect(location: string): Reply {
  return { status: 303, headers: { Location: location }, body: '' };
}

/** Matches `/v1/customers/:id` against a path; returns the named segments, decoded. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const patternParts = pattern.split('/');
  const pathParts = path.split('/');
  if (patternParts.length !== pathParts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < patternParts.length; i++) {
    const expected = patternParts[i] as string;
    const actual = pathParts[i] as string;
    if (expected.startsWith(':')) {
      if (actual === '') return null;
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (expected !== actual) {
      return null;
    }
  }
  return params;
}

export interface Route<Context> {
  method: string;
  pattern: string;
  handler: (context: Context, params: Record<string, string>) => Reply | Promise<Reply>;
}

/** The first route matching method and path. */
export function findRoute<Context>(
  routes: ReadonlyArray<Route<Context>>,
  method: string,
  path: string,
): { route: Route<Context>; params: Record<string, string> } | null {
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchPath(route.pattern, path);
    if (params) return { route, params };
  }
  return null;
}
